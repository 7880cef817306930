package io.github.tcpproxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A bench backend on 127.0.0.1, port 0, with blocking sockets and one daemon thread per
 * connection (at most {@code maxConnections}; more are closed at once). A subclass says how to
 * {@link #serve} one connection, which is closed afterwards; {@link #close()} closes the listen
 * socket and every open connection, so that a stalled workload ends.
 */
abstract class ThreadPerConnectionServer implements AutoCloseable {
    private final String name;
    private final ServerSocketChannel server;
    private final ThreadPoolExecutor workers;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** Binds; call {@link #start()} at the end of the subclass's constructor. */
    ThreadPerConnectionServer(String name, int backlog, int maxConnections) throws IOException {
        this.name = name;
        this.workers = new ThreadPoolExecutor(0, maxConnections, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> {
                    Thread t = new Thread(r, "bench-" + name + "-backend");
                    t.setDaemon(true);
                    return t;
                });
        this.server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0), backlog);
    }

    /** Starts accepting: only once the subclass is fully built, as its threads call {@link #serve}. */
    final void start() {
        Thread acceptor = new Thread(this::acceptLoop, "bench-" + name + "-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    final InetSocketAddress address() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    /**
     * Serves one connection on its own thread; the connection is closed when this returns.
     *
     * @throws IOException when the client went away or a workload's watchdog closed the socket
     */
    abstract void serve(SocketChannel ch) throws IOException;

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
                workers.execute(() -> run(ch));
            } catch (RejectedExecutionException e) {
                forget(ch);
            }
        }
    }

    private void run(SocketChannel ch) {
        try {
            serve(ch);
        } catch (IOException e) {
            // the client went away or a watchdog closed it: nothing to answer
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
