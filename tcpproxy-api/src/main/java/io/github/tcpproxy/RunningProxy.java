package io.github.tcpproxy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * A started proxy, returned by {@link TcpProxy.Builder#start()}: it is already listening when
 * you get it. All methods are thread-safe.
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
     * Removes the backend at {@code address}: no new connection goes to it from the time this
     * returns, and its open connections finish undisturbed.
     *
     * @return whether there was such a backend
     * @throws IllegalArgumentException if {@code address} is null
     */
    boolean removeBackend(InetSocketAddress address);

    /**
     * Replaces the weight and connection limit of the backend with the same address as
     * {@code backend}; open connections are not touched.
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
     * turns a limit off. Open connections are never closed by a lower limit, and connections
     * opened while a per-client limit was off do not count against it once it is turned on.
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
     * proxy has ended. Calling it again does nothing.
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
     */
    void close(Duration drainTimeout);
}
