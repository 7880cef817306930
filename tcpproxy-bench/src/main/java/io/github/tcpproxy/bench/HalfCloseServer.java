package io.github.tcpproxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backend of the half-close workload: reads until the client's FIN, then answers
 * {@value #ANSWER} bytes of a fixed pseudo-random {@link #pattern()} and closes. A proxy that
 * treats the client's FIN as the end of the whole connection loses the answer, or part of it.
 * Blocking sockets, one thread per connection (the workload runs one at a time).
 */
final class HalfCloseServer implements AutoCloseable {
    /** What the client sends before its FIN. */
    static final int REQUEST = 64 * 1024;
    /** What the backend sends after the client's FIN. */
    static final int ANSWER = 1024 * 1024;
    private static final int MAX_CONNECTIONS = 16;
    /** Pseudo-random, so that a lost, repeated or reordered chunk cannot match by chance. */
    private static final ByteBuffer PATTERN;

    static {
        byte[] b = new byte[ANSWER];
        new SplittableRandom(0x7C0C105EL).nextBytes(b);
        PATTERN = ByteBuffer.allocateDirect(ANSWER).put(b).flip().asReadOnlyBuffer();
    }

    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final ThreadPoolExecutor workers = new ThreadPoolExecutor(0, MAX_CONNECTIONS, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "bench-halfclose-backend");
                t.setDaemon(true);
                return t;
            });
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong shortRequests = new AtomicLong();
    private volatile boolean closed;

    HalfCloseServer() throws IOException {
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 64);
        acceptor = new Thread(this::acceptLoop, "bench-halfclose-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The {@value #ANSWER} bytes every answer carries; read-only, positioned at 0. */
    static ByteBuffer pattern() {
        return PATTERN.duplicate();
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    /**
     * Connections whose request was not {@value #REQUEST} bytes up to the FIN. The backend closes
     * those without answering, so the client's failure can be told from a lost answer.
     */
    long shortRequests() {
        return shortRequests.get();
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            open.add(ch);
            try {
                workers.execute(() -> serve(ch));
            } catch (RejectedExecutionException e) {
                forget(ch);
            }
        }
    }

    private void serve(SocketChannel ch) {
        ByteBuffer buf = ByteBuffer.allocateDirect(StreamServer.CHUNK);
        try {
            long got = 0;
            int n;
            while ((n = ch.read(buf)) >= 0) {
                got += n;
                buf.clear();
            }
            if (got != REQUEST) {
                shortRequests.incrementAndGet();
                return;
            }
            StreamServer.writeFully(ch, pattern());
            // close() below ends with a FIN after the answer: everything was read, so it is no reset
        } catch (IOException e) {
            // the client went away or the trial's watchdog closed it
        } finally {
            forget(ch);
        }
    }

    private void forget(SocketChannel ch) {
        open.remove(ch);
        Watchdog.closeQuietly(ch);
    }

    @Override
    public void close() {
        closed = true;
        Watchdog.closeQuietly(server);
        for (SocketChannel ch : open) {
            Watchdog.closeQuietly(ch);
        }
        workers.shutdownNow();
    }
}
