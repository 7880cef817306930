package io.github.tcpproxy.spi;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.HealthCheck;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * A validated proxy configuration, as the builder hands it to the {@link EngineProvider}. Every
 * value has already been checked; see {@link io.github.tcpproxy.TcpProxy.Builder} for what each
 * means and its default.
 */
public interface ProxyConfig {

    /** Where to listen; port 0 picks a free port. */
    InetSocketAddress listenAddress();

    /** The backends, at least one, no address twice. */
    List<Backend> backends();

    /** The scheduler. */
    Strategy strategy();

    /** How long one backend connection attempt may take. */
    Duration connectTimeout();

    /** How many backends to try for one client before closing it, 1 or more. */
    int connectAttempts();

    /** How long {@code close()} waits for open connections to end by themselves. */
    Duration drainTimeout();

    /** Number of reactor threads, 1 or more. */
    int reactorThreads();

    /** Size in bytes of a relay buffer; each connection holds at most one per direction. */
    int bufferSize();

    /** The listen socket's accept backlog. */
    int acceptBacklog();

    /** Whether TCP_NODELAY is set on both sockets of a connection. */
    boolean tcpNoDelay();

    /** Whether SO_KEEPALIVE is set on both sockets of a connection. */
    boolean keepAlive();

    /** Active health checking, or null for none. */
    HealthCheck healthCheck();

    /** Connect failures in a row that mark a backend down (passive health); 0 for never. */
    int maxFails();

    /** How long a backend marked down by {@link #maxFails()} stays down before it is tried again. */
    Duration failTimeout();

    /** How long a backend that comes up takes to reach its full weight; zero for at once. */
    Duration slowStart();
}
