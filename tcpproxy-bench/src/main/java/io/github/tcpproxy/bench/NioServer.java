package io.github.tcpproxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

/**
 * The backend of the connection-rate and idle workloads: one selector thread, so that ten
 * thousand connections cost ten thousand sockets and no threads. Two listen sockets:
 * <ul>
 *   <li>rate: read a {@value #REQUEST}-byte request, answer {@value #REQUEST} bytes and close at
 *       once. The server closes first, as an HTTP/1.0 server does: its side takes the TIME_WAIT,
 *       on the backend's listen port, so neither the clients nor the proxy use up ephemeral
 *       ports;</li>
 *   <li>idle: read a 4-byte connection id, echo it (so the client knows the whole path is up),
 *       then echo whatever comes; {@link #closeIdle} closes chosen connections from this side,
 *       to test a release that starts at the backend.</li>
 * </ul>
 */
final class NioServer implements AutoCloseable {
    /** Size of a rate request and of its response. */
    static final int REQUEST = 64;

    private final Selector selector;
    private final ServerSocketChannel rateServer;
    private final ServerSocketChannel idleServer;
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(16 * 1024);
    private final ByteBuffer response = ByteBuffer.allocateDirect(REQUEST);
    private SocketChannel[] idleById = new SocketChannel[1024];
    private volatile int idleOpen;
    private final AtomicLong rateServed = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile boolean closed;

    /** Per-connection state, the key's attachment. */
    private static final class Conn {
        final boolean idle;
        int got;
        int id;

        Conn(boolean idle) {
            this.idle = idle;
        }
    }

    NioServer() throws IOException {
        selector = Selector.open();
        rateServer = listen();
        idleServer = listen();
        rateServer.register(selector, SelectionKey.OP_ACCEPT, Boolean.FALSE);
        idleServer.register(selector, SelectionKey.OP_ACCEPT, Boolean.TRUE);
        for (int i = 0; i < REQUEST; i++) {
            response.put((byte) ('a' + i % 26));
        }
        thread = new Thread(this::loop, "bench-nio-backend");
        thread.setDaemon(true);
        thread.start();
    }

    private static ServerSocketChannel listen() throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        s.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
        s.configureBlocking(false);
        return s;
    }

    InetSocketAddress rateAddress() throws IOException {
        return (InetSocketAddress) rateServer.getLocalAddress();
    }

    InetSocketAddress idleAddress() throws IOException {
        return (InetSocketAddress) idleServer.getLocalAddress();
    }

    /** Idle connections open on this side now. */
    int idleOpen() {
        return idleOpen;
    }

    long errors() {
        return errors.get();
    }

    /**
     * Closes, from the backend side, the idle connections whose id matches; completes with how
     * many were closed.
     */
    CompletableFuture<Integer> closeIdle(IntPredicate ids) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        tasks.add(() -> {
            int n = 0;
            for (int id = 0; id < idleById.length; id++) {
                SocketChannel ch = idleById[id];
                if (ch != null && ids.test(id)) {
                    closeIdleConn(ch, id);
                    n++;
                }
            }
            done.complete(n);
        });
        selector.wakeup();
        return done;
    }

    private void loop() {
        while (!closed) {
            try {
                selector.select(this::onReady, 1000);
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
            } catch (IOException | RuntimeException e) {
                if (closed || !selector.isOpen()) {
                    return;
                }
                errors.incrementAndGet();
            }
        }
    }

    private void onReady(SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        if (key.attachment() instanceof Boolean idle) {
            accept((ServerSocketChannel) key.channel(), idle);
            return;
        }
        Conn c = (Conn) key.attachment();
        SocketChannel ch = (SocketChannel) key.channel();
        try {
            scratch.clear();
            int n = ch.read(scratch);
            if (n < 0) {
                close(key, c);
                return;
            }
            if (c.idle) {
                onIdleData(key, c, ch, n);
            } else {
                c.got += n;
                if (c.got >= REQUEST) {
                    response.clear();
                    ch.write(response);
                    if (response.hasRemaining()) {
                        errors.incrementAndGet(); // 64 bytes into a fresh socket: never short in practice
                    }
                    rateServed.incrementAndGet();
                    ch.close(); // the server closes first (see the class comment)
                }
            }
        } catch (IOException e) {
            close(key, c);
        }
    }

    private void onIdleData(SelectionKey key, Conn c, SocketChannel ch, int n) throws IOException {
        scratch.flip();
        for (int i = 0; i < n && c.got < 4; i++, c.got++) {
            c.id = (c.id << 8) | (scratch.get(i) & 0xff);
            if (c.got == 3) {
                if (c.id < 0 || c.id > 1 << 20) {
                    close(key, c);
                    return;
                }
                if (c.id >= idleById.length) {
                    idleById = java.util.Arrays.copyOf(idleById, Math.max(c.id + 1, idleById.length * 2));
                }
                if (idleById[c.id] != null) {
                    closeIdleConn(idleById[c.id], c.id); // a stale one with the same id
                }
                idleById[c.id] = ch;
                idleOpen++;
            }
        }
        // Echo all of it (the id too); a few bytes always fit in a socket buffer.
        ch.write(scratch);
        if (scratch.hasRemaining()) {
            errors.incrementAndGet();
        }
    }

    private void accept(ServerSocketChannel server, boolean idle) {
        for (int i = 0; i < 64; i++) {
            SocketChannel ch;
            try {
                ch = server.accept();
                if (ch == null) {
                    return;
                }
            } catch (IOException e) {
                errors.incrementAndGet();
                return;
            }
            try {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.register(selector, SelectionKey.OP_READ, new Conn(idle));
            } catch (IOException e) {
                errors.incrementAndGet();
                Watchdog.closeQuietly(ch);
            }
        }
    }

    private void close(SelectionKey key, Conn c) {
        SocketChannel ch = (SocketChannel) key.channel();
        if (c.idle && c.got >= 4 && idleById[c.id] == ch) {
            idleById[c.id] = null;
            idleOpen--;
        }
        Watchdog.closeQuietly(ch);
    }

    private void closeIdleConn(SocketChannel ch, int id) {
        idleById[id] = null;
        idleOpen--;
        Watchdog.closeQuietly(ch);
    }

    @Override
    public void close() {
        closed = true;
        tasks.add(() -> {
            for (SelectionKey k : selector.keys()) {
                Watchdog.closeQuietly(k.channel());
            }
        });
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey k : selector.keys()) {
            Watchdog.closeQuietly(k.channel());
        }
        Watchdog.closeQuietly(selector);
    }
}
