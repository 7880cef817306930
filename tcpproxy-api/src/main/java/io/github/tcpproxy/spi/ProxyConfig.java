package io.github.tcpproxy.spi;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.CidrRange;
import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.ProxyProtocol;
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

    /**
     * Most bytes this proxy's relay buffers may take at once, or 0 for the engine's default. The
     * default method answers 0, so that configurations written before it existed keep working.
     */
    default long maxBufferMemory() {
        return 0;
    }

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

    /**
     * SO_SNDBUF for both sockets of a connection; 0 for the system default.
     *
     * @implSpec The default returns 0.
     */
    default int sendBufferSize() {
        return 0;
    }

    /**
     * SO_RCVBUF for both sockets of a connection and the listen socket; 0 for the system default.
     *
     * @implSpec The default returns 0.
     */
    default int receiveBufferSize() {
        return 0;
    }

    /**
     * Client connections open at once at most; 0 for no limit.
     *
     * @implSpec The default returns 0.
     */
    default int maxConnections() {
        return 0;
    }

    /**
     * Connections open at once from one client IP address at most; 0 for no limit.
     *
     * @implSpec The default returns 0.
     */
    default int maxConnectionsPerClient() {
        return 0;
    }

    /**
     * New connections per second from one client IP address at most; 0 for no limit.
     *
     * @implSpec The default returns 0.
     */
    default int maxConnectionRatePerClient() {
        return 0;
    }

    /**
     * How long a connection may move no byte either way before it is closed; zero for never.
     *
     * @implSpec The default returns {@link Duration#ZERO}.
     */
    default Duration idleTimeout() {
        return Duration.ZERO;
    }

    /**
     * How long a half-closed connection's remaining direction may be silent before it is closed;
     * zero to leave it to {@link #idleTimeout()}.
     *
     * @implSpec The default returns {@link Duration#ZERO}.
     */
    default Duration halfClosedTimeout() {
        return Duration.ZERO;
    }

    /**
     * Client ranges served; empty to serve every client not denied.
     *
     * @implSpec The default returns an empty list.
     */
    default List<CidrRange> allow() {
        return List.of();
    }

    /**
     * Client ranges refused; they win over {@link #allow()}.
     *
     * @implSpec The default returns an empty list.
     */
    default List<CidrRange> deny() {
        return List.of();
    }

    /**
     * Listeners of connection events, called on the reactor threads.
     *
     * @implSpec The default returns an empty list.
     */
    default List<ConnectionListener> connectionListeners() {
        return List.of();
    }

    /**
     * The PROXY protocol header sent to backends.
     *
     * @implSpec The default returns {@link ProxyProtocol#OFF}.
     */
    default ProxyProtocol sendProxyProtocol() {
        return ProxyProtocol.OFF;
    }

    /**
     * Whether clients must start with a PROXY protocol header.
     *
     * @implSpec The default returns false.
     */
    default boolean acceptProxyProtocol() {
        return false;
    }

    /**
     * How long a client may take to send its PROXY protocol header.
     *
     * @implSpec The default returns 3 seconds.
     */
    default Duration proxyProtocolTimeout() {
        return Duration.ofSeconds(3);
    }
}
