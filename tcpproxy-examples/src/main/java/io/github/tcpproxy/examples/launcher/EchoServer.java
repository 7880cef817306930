package io.github.tcpproxy.examples.launcher;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * A line echo server, the demo's backend: each line a client sends comes back prefixed with the
 * server's name and address, {@code [backend-2 127.0.0.1:41234] hello}, so that one sees which
 * backend answered. One thread with one selector serves all its clients without blocking.
 *
 * <p>Behaviour a client can rely on:
 * <ul>
 *   <li>Lines end with {@code \n}; a {@code \r} before it is echoed as it came.</li>
 *   <li>A line longer than {@value #MAX_LINE} bytes is answered in pieces of that size, each
 *       with the prefix, so memory per client stays bounded.</li>
 *   <li>When the client ends its output, the unfinished last line (if any) is answered with a
 *       {@code \n} added, then the server ends its output and closes.</li>
 *   <li>A client that sends without reading its answers is not read from while more than
 *       {@value #MAX_PENDING} bytes of answers wait for it.</li>
 * </ul>
 */
final class EchoServer implements AutoCloseable {
    static final int MAX_LINE = 8192;
    static final int MAX_PENDING = 256 * 1024;
    /** How long accepting pauses after accept() failed, for example with too many open files. */
    private static final long ACCEPT_PAUSE_MILLIS = 100;

    private final String name;
    private final byte[] prefix;
    private final Selector selector;
    private final ServerSocketChannel server;
    private final SelectionKey serverKey;
    private final InetSocketAddress localAddress;
    private final Thread thread;
    /** One read buffer for every client: only the selector thread reads. */
    private final ByteBuffer scratch = ByteBuffer.allocate(MAX_LINE);
    private volatile boolean closing;
    private long acceptPausedUntil;

    private EchoServer(String name, Selector selector, ServerSocketChannel server, SelectionKey serverKey)
            throws IOException {
        this.name = name;
        this.selector = selector;
        this.server = server;
        this.serverKey = serverKey;
        this.localAddress = (InetSocketAddress) server.getLocalAddress();
        this.prefix = ("[" + name + " " + Launcher.format(localAddress) + "] ").getBytes(StandardCharsets.UTF_8);
        this.thread = new Thread(this::loop, "echo " + name + " " + Launcher.format(localAddress));
        // A demo backend must never keep the JVM alive on its own.
        thread.setDaemon(true);
    }

    /**
     * Binds {@code address} (port 0 picks a free port) and starts serving.
     *
     * @param name shown in every answer, for example {@code backend-2}
     * @throws IOException naming the address if it cannot be bound
     */
    static EchoServer start(String name, InetSocketAddress address) throws IOException {
        Selector selector = Selector.open();
        ServerSocketChannel server = null;
        try {
            server = ServerSocketChannel.open();
            server.bind(address);
            server.configureBlocking(false);
            SelectionKey key = server.register(selector, SelectionKey.OP_ACCEPT);
            EchoServer echo = new EchoServer(name, selector, server, key);
            echo.thread.start();
            return echo;
        } catch (IOException e) {
            if (server != null) {
                server.close();
            }
            selector.close();
            throw new IOException("cannot start echo backend " + name + " on " + Launcher.format(address)
                    + ": " + e.getMessage(), e);
        }
    }

    /** The name shown in answers. */
    String name() {
        return name;
    }

    /** The bound address, with the real port. */
    InetSocketAddress localAddress() {
        return localAddress;
    }

    /** Closes the listening socket and every client connection; returns when the thread has ended. */
    @Override
    public void close() {
        closing = true;
        selector.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        try {
            while (!closing) {
                long timeout = 0;
                if (acceptPausedUntil != 0) {
                    timeout = Math.max(1, acceptPausedUntil - System.currentTimeMillis());
                }
                selector.select(this::handle, timeout);
                if (acceptPausedUntil != 0 && System.currentTimeMillis() >= acceptPausedUntil) {
                    acceptPausedUntil = 0;
                    serverKey.interestOps(SelectionKey.OP_ACCEPT);
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            // Nothing to report to: the demo goes on without this backend, and the proxy sees
            // connection failures and tries the next one.
        } finally {
            for (SelectionKey key : selector.keys()) {
                closeQuietly(key);
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // Closing is all that is left to do.
            }
        }
    }

    private void handle(SelectionKey key) {
        if (key == serverKey) {
            accept();
            return;
        }
        Client client = (Client) key.attachment();
        try {
            if (key.isWritable()) {
                client.write();
            }
            if (key.isValid() && key.isReadable()) {
                client.read();
            }
        } catch (IOException | RuntimeException e) {
            // A client that resets or vanishes (or a bug met by one client) ends only its own
            // connection, never the loop that serves the others.
            closeQuietly(key);
        }
    }

    private void accept() {
        try {
            SocketChannel channel = server.accept();
            if (channel == null) {
                return;
            }
            channel.configureBlocking(false);
            Client client = new Client(channel);
            client.key = channel.register(selector, SelectionKey.OP_READ, client);
        } catch (IOException e) {
            // Most likely too many open files: the pending connection stays pending, so keeping
            // OP_ACCEPT would spin the loop. Pause accepting for a moment instead.
            serverKey.interestOps(0);
            acceptPausedUntil = System.currentTimeMillis() + ACCEPT_PAUSE_MILLIS;
        }
    }

    private static void closeQuietly(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // Already broken; nothing more to release.
        }
    }

    /** One client connection; touched only by the selector thread. */
    private final class Client {
        private final SocketChannel channel;
        private final byte[] line = new byte[MAX_LINE];
        private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
        private SelectionKey key;
        private int lineLength;
        private long pendingBytes;
        private boolean inputEnded;

        Client(SocketChannel channel) {
            this.channel = channel;
        }

        void read() throws IOException {
            scratch.clear();
            int n = channel.read(scratch);
            if (n < 0) {
                inputEnded = true;
                if (lineLength > 0) {
                    answer(true);
                }
            }
            for (int i = 0; i < n; i++) {
                byte b = scratch.get(i);
                line[lineLength++] = b;
                if (b == '\n' || lineLength == line.length) {
                    answer(false);
                }
            }
            write();
        }

        void write() throws IOException {
            while (!pending.isEmpty()) {
                ByteBuffer head = pending.peek();
                pendingBytes -= channel.write(head);
                if (head.hasRemaining()) {
                    break;
                }
                pending.poll();
            }
            if (inputEnded && pending.isEmpty()) {
                // Everything answered and nothing more can come: end our side too (the client
                // reads a clean end of stream), then release the socket.
                channel.shutdownOutput();
                closeQuietly(key);
                return;
            }
            int ops = 0;
            if (!inputEnded && pendingBytes < MAX_PENDING) {
                ops |= SelectionKey.OP_READ;
            }
            if (!pending.isEmpty()) {
                ops |= SelectionKey.OP_WRITE;
            }
            if (key.interestOps() != ops) {
                key.interestOps(ops);
            }
        }

        private void answer(boolean addNewline) {
            ByteBuffer reply = ByteBuffer.allocate(prefix.length + lineLength + (addNewline ? 1 : 0));
            reply.put(prefix).put(line, 0, lineLength);
            if (addNewline) {
                reply.put((byte) '\n');
            }
            reply.flip();
            pending.add(reply);
            pendingBytes += reply.remaining();
            lineLength = 0;
        }
    }
}
