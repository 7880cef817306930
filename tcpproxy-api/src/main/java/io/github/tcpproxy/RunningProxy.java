package io.github.tcpproxy;

import io.github.tcpproxy.fault.Fault;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.FlowDirection;
import io.github.tcpproxy.internal.Nanos;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A started proxy, returned by {@link TcpProxy.Builder#start()}: it is already listening when
 * you get it. All methods are thread-safe.
 *
 * <p>From the proxy's own threads (a {@link ConnectionListener}, a strategy or a fault, all of
 * which run on them) {@link #stats()}, {@link #backends()}, {@link #faults()}, {@link #isEnabled()}
 * and the backend changes may be called; the methods that wait for the proxy's threads ({@link
 * #connections()}, {@link #addFault}, closing a {@link FaultHandle}, {@link #removeAllFaults()},
 * {@link #enable()}, {@link #disable()}, {@link #close()}) throw {@link IllegalStateException}
 * there, as they would wait for themselves; {@link ConnectionInfo#close()} and {@link
 * ConnectionInfo#reset()} act without waiting there; {@code awaitOpenConnections} and {@code
 * awaitBytes} must not be called there. {@code connections()}, the fault methods, {@code
 * enable()} and {@code disable()} give up after 10 seconds with a {@link TcpProxyException}
 * should the proxy's threads not answer; an interrupt does not stop them half-way (they finish,
 * keeping the thread's interrupt status).
 *
 * <p>Close it when done, typically with try-with-resources. {@link #close()} stops accepting at
 * once, lets open connections finish for the configured drain time, then resets the rest; when it
 * returns, no thread of the proxy is left running. Closing twice is harmless.
 */
public interface RunningProxy extends AutoCloseable {

    /**
     * The address the proxy listens on, with the real port when it was started on port 0.
     * Still answers after {@link #close()}.
     */
    InetSocketAddress localAddress();

    /** A snapshot of the proxy's counters; cheap enough to call every second. */
    ProxyStats stats();

    /**
     * Every backend the strategies choose from now, in order, with its settings, health and
     * counters. Removed backends are not listed, even while their last connections finish.
     */
    List<BackendStatus> backends();

    /**
     * Adds a backend; new connections may go to it as soon as this returns.
     *
     * @throws IllegalArgumentException if it is null or a backend with its address exists
     * @throws IllegalStateException if the proxy is closed
     */
    void addBackend(Backend backend);

    /**
     * Removes the backend at {@code address}: no connection is chosen for it once this returns
     * (one whose choice was already under way on a reactor may still open), and its open
     * connections finish undisturbed.
     *
     * @return whether there was such a backend
     * @throws IllegalArgumentException if {@code address} is null, or unresolved and cannot be
     *     resolved (an unresolved one is resolved to find the backend, as backends were)
     */
    boolean removeBackend(InetSocketAddress address);

    /**
     * Replaces the weight and connection limit of the backend with the same address as
     * {@code backend}; open connections are not touched. Both are replaced: a backend built with
     * {@link Backend#of(String, int)} alone has weight 1 and no limit, so this also ends a drain.
     *
     * @throws IllegalArgumentException if it is null or no backend has its address
     */
    void updateBackend(Backend backend);

    /**
     * Changes the weight of the backend at {@code address}; 0 drains it (no new connections,
     * open ones finish).
     *
     * @throws IllegalArgumentException if no backend has that address or the weight is negative
     */
    void setWeight(InetSocketAddress address, int weight);

    /**
     * Drains the backend at {@code address}: the same as {@code setWeight(address, 0)}.
     *
     * @throws IllegalArgumentException if no backend has that address
     */
    default void drain(InetSocketAddress address) {
        setWeight(address, 0);
    }

    /**
     * Changes the connection limits of {@link TcpProxy.Builder#maxConnections},
     * {@link TcpProxy.Builder#maxConnectionsPerClient} and
     * {@link TcpProxy.Builder#maxConnectionRatePerClient} for clients accepted from now on; 0
     * turns a limit off. Open connections are never closed by a lower limit, but they count
     * against it, also those opened while a per-client limit was off: a client with more open than
     * a new per-client limit gets no new connection until it is under it.
     *
     * @implSpec The default throws {@link UnsupportedOperationException}, for engines without it.
     * @throws IllegalArgumentException naming the value if one is negative
     */
    default void setConnectionLimits(int maxConnections, int maxConnectionsPerClient,
            int maxConnectionRatePerClient) {
        throw new UnsupportedOperationException("this engine cannot change connection limits at run time");
    }

    /** Whether the proxy still runs, that is {@link #close()} has not been called. */
    boolean isRunning();

    /**
     * Stops the proxy: stops accepting at once, waits up to the configured drain time for open
     * connections to end by themselves, then resets those left. Returns when every thread of the
     * proxy has ended. Calling it again once it has returned does nothing; a call made while
     * another one is draining waits until the proxy has stopped. Interrupting the calling thread
     * cuts the drain short (the connections left are reset at once); the threads are still
     * stopped and awaited, and the thread's interrupt status is kept.
     *
     * @throws IllegalStateException if called on one of the proxy's own threads (from a
     *     {@link ConnectionListener} or a strategy, for example), where waiting for them would
     *     never end
     */
    @Override
    void close();

    /**
     * Like {@link #close()} with another drain time; {@link Duration#ZERO} resets open
     * connections at once. Called while another close is draining, a shorter drain time cuts that
     * drain short (a launcher's second SIGTERM calls {@code close(Duration.ZERO)}); either call
     * returns when the proxy has stopped.
     *
     * @throws IllegalArgumentException if {@code drainTimeout} is null or negative
     * @throws IllegalStateException if called on one of the proxy's own threads
     */
    void close(Duration drainTimeout);

    // ---- faults, for tests ----

    /**
     * Adds {@code fault} for every connection, existing and new, both directions:
     * {@code addFault(fault, FaultTarget.all())}.
     *
     * @see #addFault(Fault, FaultTarget)
     */
    default FaultHandle addFault(Fault fault) {
        return addFault(fault, FaultTarget.all());
    }

    /**
     * Adds {@code fault} for the connections and directions {@code target} selects. Returns once
     * the fault is in force on every connection it targets: on those open now (when the target
     * includes them), and on every connection accepted from now on. Close the returned handle to
     * remove it.
     *
     * @throws IllegalArgumentException if an argument is null
     * @throws IllegalStateException if the proxy is closed, or if called on one of the proxy's
     *     own threads (which would deadlock)
     */
    FaultHandle addFault(Fault fault, FaultTarget target);

    /** The faults in force now, in the order they were added. */
    List<FaultHandle> faults();

    /**
     * Removes every fault, as if each handle were closed, and returns once none is in force.
     * Does not {@link #enable()} a disabled proxy.
     *
     * @throws IllegalStateException if called on one of the proxy's own threads
     */
    void removeAllFaults();

    /**
     * Disables the proxy, like Toxiproxy's {@code enabled=false}: it stops listening (new
     * clients are refused) and resets every open connection. Returns once that is done; does
     * nothing if it is disabled already.
     *
     * @throws IllegalStateException if the proxy is closed or this is called on one of its threads
     */
    void disable();

    /**
     * Enables the proxy again after {@link #disable()}: it listens again, on the same port. Also
     * retries listening when removing a fault that refused clients could not bind the port again
     * (another process took it meanwhile; {@link #isEnabled()} is false then). Does nothing if it
     * is enabled.
     *
     * @throws IllegalStateException if called on one of the proxy's own threads
     * @throws TcpProxyException if the port cannot be bound again
     */
    void enable();

    /**
     * Whether the proxy is enabled: true unless {@link #disable()} was called last, or listening
     * could not start again when a refusing fault was removed (see {@link #enable()}).
     */
    boolean isEnabled();

    /**
     * A snapshot of the client connections open now, by id: addresses, byte counts and state.
     * Each can be closed or reset through it.
     *
     * @throws IllegalStateException if called on one of the proxy's own threads
     */
    List<ConnectionInfo> connections();

    /**
     * Waits until exactly {@code n} client connections are open (connecting ones included), as
     * {@link ProxyStats#activeConnections()} counts them. Blocks the calling thread: never call
     * it from a listener, strategy or fault, which run on the proxy's threads.
     *
     * @throws IllegalArgumentException if {@code n} is negative or the timeout null or negative
     * @throws TimeoutException naming the count seen last if that does not happen within
     *     {@code timeout}
     * @throws InterruptedException if interrupted while waiting
     */
    default void awaitOpenConnections(int n, Duration timeout) throws TimeoutException, InterruptedException {
        if (n < 0) {
            throw new IllegalArgumentException("open connections " + n + " must be 0 or more");
        }
        await(timeout, () -> stats().activeConnections() == n,
                () -> n + " open connection(s); open now: " + stats().activeConnections());
    }

    /**
     * Waits until at least {@code n} bytes in total have passed in direction {@code flow}
     * ({@link FlowDirection#BOTH}: both directions added up) since the proxy started. Blocks
     * the calling thread: never call it from a listener, strategy or fault.
     *
     * @throws IllegalArgumentException if {@code flow} is null or the timeout null or negative
     * @throws TimeoutException naming the count seen last if that does not happen within
     *     {@code timeout}
     * @throws InterruptedException if interrupted while waiting
     */
    default void awaitBytes(FlowDirection flow, long n, Duration timeout) throws TimeoutException, InterruptedException {
        if (flow == null) {
            throw new IllegalArgumentException("flow must not be null");
        }
        BooleanSupplier done = () -> bytes(stats(), flow) >= n;
        await(timeout, done, () -> n + " bytes " + flow + "; passed now: " + bytes(stats(), flow));
    }

    private static long bytes(ProxyStats s, FlowDirection flow) {
        switch (flow) {
            case CLIENT_TO_BACKEND:
                return s.bytesClientToBackend();
            case BACKEND_TO_CLIENT:
                return s.bytesBackendToClient();
            default:
                return s.bytesClientToBackend() + s.bytesBackendToClient();
        }
    }

    /** Polls {@code condition} with pauses from 1 ms to 20 ms until it holds or time is up. */
    private static void await(Duration timeout, BooleanSupplier condition, java.util.function.Supplier<String> what)
            throws TimeoutException, InterruptedException {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout " + timeout + " must be zero or positive");
        }
        long deadline = System.nanoTime() + Nanos.of(timeout); // toNanos() would throw for very long ones
        long pause = 1_000_000L;
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("timed out after " + timeout.toMillis() + " ms waiting for " + what.get());
            }
            LockSupport.parkNanos(Math.min(pause, left));
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted waiting for " + what.get());
            }
            pause = Math.min(pause * 2, 20_000_000L);
        }
    }
}
