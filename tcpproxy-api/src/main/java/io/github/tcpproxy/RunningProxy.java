package io.github.tcpproxy;

import java.net.InetSocketAddress;
import java.time.Duration;

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
     * connections at once.
     *
     * @throws IllegalArgumentException if {@code drainTimeout} is null or negative
     */
    void close(Duration drainTimeout);
}
