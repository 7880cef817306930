package io.github.tcpproxy.testing;

import io.github.tcpproxy.Backend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A blocking loopback server for tests, with a thread per accepted connection: the base of
 * {@link EchoServer} and {@link ScriptedServer}. It binds {@code 127.0.0.1}, on port 0 unless told
 * otherwise, counts the connections it accepted, and records what its connection threads threw so
 * a test can {@linkplain #assertNoFailures() check} that nothing went wrong on the server side.
 *
 * <p>Each accepted socket gets a read timeout of {@link Sockets#READ_TIMEOUT} and is closed when
 * {@link #serve(Socket)} returns. {@link #close()} closes the listening socket and every open
 * connection and waits, with a bound, for the threads to end; calling it twice is harmless.
 * Thread-safe.
 */
public abstract class TestServer implements AutoCloseable {
    /** The accept backlog used when none is given. */
    public static final int DEFAULT_BACKLOG = 128;

    private static final long JOIN_MILLIS = 5_000;
    private static final int STACK_SIZE = 256 * 1024;

    private final String name;
    private final ServerSocket server;
    private final InetSocketAddress address;
    private final AtomicInteger connections = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Binds {@code 127.0.0.1:port}; call {@link #startAccepting()} once the subclass is ready.
     *
     * @param name names the threads ({@code name-accept}, {@code name-conn-N}) and messages
     * @param port 0 for a free port (tests should always use 0), or a port that was just released
     * @param backlog the accept backlog; raise it for many simultaneous connects
     * @throws UncheckedIOException if the address cannot be bound
     */
    protected TestServer(String name, int port, int backlog) {
        this.name = name;
        try {
            ServerSocket s = new ServerSocket();
            try {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(Sockets.loopback(), port), backlog);
            } catch (IOException e) {
                s.close();
                throw e;
            }
            this.server = s;
        } catch (IOException e) {
            throw new UncheckedIOException(name + " cannot bind 127.0.0.1:" + port, e);
        }
        this.address = new InetSocketAddress(Sockets.loopback(), server.getLocalPort());
    }

    /** Starts the accept thread; called once by the subclass's factory, after construction. */
    protected final void startAccepting() {
        Thread acceptor = new Thread(this::acceptLoop, name + "-accept");
        acceptor.setDaemon(true);
        threads.add(acceptor);
        acceptor.start();
    }

    /**
     * Serves one accepted connection, on a thread of its own. The socket is closed when this
     * returns; an exception it throws is recorded as a failure (unless the server was closed).
     */
    protected abstract void serve(Socket socket) throws Exception;

    private void acceptLoop() {
        while (!closed.get()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closed.get()) {
                    failures.add(new IOException(name + ": accept failed", e));
                }
                return;
            }
            int n = connections.incrementAndGet();
            open.add(socket);
            Thread worker = new Thread(null, () -> run(socket), name + "-conn-" + n, STACK_SIZE);
            worker.setDaemon(true);
            threads.add(worker);
            worker.start();
        }
    }

    private void run(Socket socket) {
        try {
            socket.setSoTimeout(Math.toIntExact(Sockets.READ_TIMEOUT.toMillis()));
            serve(socket);
        } catch (Throwable t) {
            if (!closed.get()) {
                failures.add(t);
            }
        } finally {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a socket that may already be reset: nothing to report
            }
            open.remove(socket);
            threads.remove(Thread.currentThread());
        }
    }

    /** The address to connect to: {@code 127.0.0.1} and the bound port. */
    public final InetSocketAddress address() {
        return address;
    }

    /** The bound port. */
    public final int port() {
        return address.getPort();
    }

    /** This server as a proxy backend, weight 1. */
    public final Backend backend() {
        return Backend.of(address);
    }

    /** How many connections this server has accepted so far. */
    public final int connections() {
        return connections.get();
    }

    /** What the connection threads threw so far, oldest first. */
    public final List<Throwable> failures() {
        return new ArrayList<>(failures);
    }

    /**
     * Fails if a connection thread threw.
     *
     * @throws AssertionError with the first failure as cause and the others suppressed
     */
    public final void assertNoFailures() {
        List<Throwable> all = failures();
        if (!all.isEmpty()) {
            AssertionError error = new AssertionError(name + ": " + all.size()
                    + " connection(s) failed on the server side; first: " + all.get(0), all.get(0));
            for (Throwable t : all.subList(1, all.size())) {
                error.addSuppressed(t);
            }
            throw error;
        }
    }

    /** Stops accepting, closes every open connection and waits (bounded) for the threads to end. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // nothing useful to do: the server is going away
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // as above
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MILLIS);
        for (Thread t : threads) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                break;
            }
            try {
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public String toString() {
        return name + " on 127.0.0.1:" + port();
    }
}
