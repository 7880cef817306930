package io.github.tcpproxy;

import io.github.tcpproxy.internal.Addresses;
import io.github.tcpproxy.internal.Services;
import io.github.tcpproxy.spi.EngineProvider;
import io.github.tcpproxy.spi.ProxyConfig;
import io.github.tcpproxy.spi.Strategies;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.strategy.RoundRobinStrategy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: {@link #builder()} describes a proxy and {@link Builder#start()} runs it.
 *
 * <pre>{@code
 * try (RunningProxy proxy = TcpProxy.builder()
 *         .listen(new InetSocketAddress("127.0.0.1", 0))   // port 0: pick a free port
 *         .backend("127.0.0.1", 8080)
 *         .backends(Backend.of("127.0.0.1", 8081).withWeight(2))
 *         .strategy("round-robin")
 *         .connectTimeout(Duration.ofSeconds(2))
 *         .start()) {
 *     InetSocketAddress where = proxy.localAddress();
 *     ...
 * }
 * }</pre>
 *
 * <p>The engine is found with {@link ServiceLoader}: put {@code io.github.tcpproxy:tcpproxy-nio}
 * on the class path or module path.
 */
public final class TcpProxy {
    private static final Logger log = LoggerFactory.getLogger(TcpProxy.class);

    /** The artifact that holds the engine, named in the error when none is found. */
    static final String ENGINE_ARTIFACT = "io.github.tcpproxy:tcpproxy-nio";

    private TcpProxy() {
    }

    /** A new builder with every setting at its default. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Describes a proxy, then starts it. Every method checks its argument at once and throws
     * {@link IllegalArgumentException} naming the bad value, so a mistake shows where it is made.
     * Not thread-safe; a builder can start several proxies, each with the settings of that moment.
     */
    public static final class Builder {
        /** Default {@link #connectTimeout(Duration)}. */
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
        /** Default {@link #connectAttempts(int)}. */
        public static final int DEFAULT_CONNECT_ATTEMPTS = 3;
        /** Default {@link #drainTimeout(Duration)}. */
        public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);
        /**
         * Default {@link #bufferSize(int)}: 256 KiB. Bulk transfers through 8 connections at once
         * moved 0.54 of a direct connection's throughput with it against 0.42 with 64 KiB (the
         * README's performance log); an idle connection holds no buffer whatever the size.
         */
        public static final int DEFAULT_BUFFER_SIZE = 256 * 1024;
        /** Default fail timeout of {@link #passiveHealth(int, Duration)}: 10 s, as nginx. */
        public static final Duration DEFAULT_FAIL_TIMEOUT = Duration.ofSeconds(10);
        /** Default {@link #proxyProtocolTimeout(Duration)}. */
        public static final Duration DEFAULT_PROXY_PROTOCOL_TIMEOUT = Duration.ofSeconds(3);
        /** Default {@link #acceptBacklog(int)}. */
        public static final int DEFAULT_ACCEPT_BACKLOG = 1024;

        private InetSocketAddress listen = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        private final List<Backend> backends = new ArrayList<>();
        private Strategy strategy;
        /**
         * The name and options given to {@link #strategy(String)}, or null: {@link #strategy} is
         * then the instance made when it was given, for the first proxy, and each later proxy gets
         * one made again (at start, from the same spec).
         */
        private String strategySpec;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private int connectAttempts = DEFAULT_CONNECT_ATTEMPTS;
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        private int reactorThreads = Runtime.getRuntime().availableProcessors();
        private int bufferSize = DEFAULT_BUFFER_SIZE;
        private long maxBufferMemory;
        private int acceptBacklog = DEFAULT_ACCEPT_BACKLOG;
        private boolean tcpNoDelay = true;
        private boolean keepAlive = true;
        private HealthCheck healthCheck;
        private int maxFails;
        private Duration failTimeout = DEFAULT_FAIL_TIMEOUT;
        private Duration slowStart = Duration.ZERO;
        private int maxConnections;
        private int maxConnectionsPerClient;
        private int maxConnectionRatePerClient;
        private Duration idleTimeout = Duration.ZERO;
        private Duration halfClosedTimeout = Duration.ZERO;
        private int sendBufferSize;
        private int receiveBufferSize;
        private final List<CidrRange> allow = new ArrayList<>();
        private final List<CidrRange> deny = new ArrayList<>();
        private final List<ConnectionListener> listeners = new ArrayList<>();
        private ProxyProtocol sendProxyProtocol = ProxyProtocol.OFF;
        private boolean acceptProxyProtocol;
        private Duration proxyProtocolTimeout = DEFAULT_PROXY_PROTOCOL_TIMEOUT;

        private Builder() {
        }

        /**
         * Where to listen. Port 0 picks a free port: read it back with
         * {@link RunningProxy#localAddress()}. Default: the loopback address, port 0.
         *
         * @throws IllegalArgumentException if the address is null or unresolved
         */
        public Builder listen(InetSocketAddress address) {
            if (address == null) {
                throw new IllegalArgumentException("listen address must not be null");
            }
            if (address.isUnresolved()) {
                address = Addresses.resolve("listen address", address.getHostString(), address.getPort());
            }
            this.listen = address;
            return this;
        }

        /**
         * Listens on {@code port} of every local address, like {@code new ServerSocket(port)};
         * use {@link #listen(InetSocketAddress)} to listen on one address only.
         *
         * @throws IllegalArgumentException if the port is outside 0-65535
         */
        public Builder listen(int port) {
            this.listen = new InetSocketAddress(Addresses.checkPort("listen port", port));
            return this;
        }

        /**
         * Listens on {@code host:port}, {@code [ipv6]:port}, or {@code *:port} for every address.
         *
         * @throws IllegalArgumentException naming the text if it is malformed or cannot be resolved
         */
        public Builder listen(String hostPort) {
            this.listen = Addresses.parse("listen address", hostPort);
            return this;
        }

        /**
         * Adds a backend at {@code host:port} with weight 1.
         *
         * @throws IllegalArgumentException if the host cannot be resolved or the port is invalid
         */
        public Builder backend(String host, int port) {
            return backend(Backend.of(host, port));
        }

        /**
         * Adds a backend.
         *
         * @throws IllegalArgumentException if it is null or its address is already a backend
         */
        public Builder backend(Backend backend) {
            if (backend == null) {
                throw new IllegalArgumentException("backend must not be null");
            }
            for (Backend b : backends) {
                if (b.address().equals(backend.address())) {
                    throw new IllegalArgumentException("backend " + backend.name() + " is listed twice");
                }
            }
            backends.add(backend);
            return this;
        }

        /**
         * Adds backends, in order.
         *
         * @throws IllegalArgumentException if the array or one of them is null or listed twice
         */
        public Builder backends(Backend... backends) {
            if (backends == null) {
                throw new IllegalArgumentException("backends must not be null");
            }
            return backends(Arrays.asList(backends)); // List.of would throw a bare NPE for a null one
        }

        /**
         * Adds backends, in iteration order.
         *
         * @throws IllegalArgumentException if the collection or one of them is null or listed twice
         */
        public Builder backends(Collection<Backend> backends) {
            if (backends == null) {
                throw new IllegalArgumentException("backends must not be null");
            }
            for (Backend b : backends) {
                backend(b);
            }
            return this;
        }

        /**
         * The scheduler, by name or alias with optional options ({@code round-robin},
         * {@code rr}, {@code maglev,table-size=65537}), looked up among the
         * {@link io.github.tcpproxy.spi.StrategyProvider}s on the class path. Default:
         * round-robin. Each proxy started from this builder gets an instance of its own (a
         * strategy keeps state about one proxy's backends).
         *
         * @throws IllegalArgumentException if the name is unknown (the message lists the known
         *     ones) or an option is rejected
         */
        public Builder strategy(String nameAndOptions) {
            this.strategy = Strategies.create(nameAndOptions); // checked now
            this.strategySpec = nameAndOptions;
            return this;
        }

        /**
         * The scheduler, as an instance. It is shared by the proxy's reactor threads, and by every
         * proxy started from this builder, and must be thread-safe.
         *
         * @throws IllegalArgumentException if it is null
         */
        public Builder strategy(Strategy strategy) {
            if (strategy == null) {
                throw new IllegalArgumentException("strategy must not be null");
            }
            this.strategy = strategy;
            this.strategySpec = null;
            return this;
        }

        /**
         * How long one attempt to connect to a backend may take before the next backend is
         * tried. Default 5 seconds.
         *
         * @throws IllegalArgumentException if null, zero or negative
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive("connect timeout", timeout);
            return this;
        }

        /**
         * How many backends to try for one client, counting the first, before the client is
         * closed. Default 3.
         *
         * @throws IllegalArgumentException if less than 1
         */
        public Builder connectAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("connect attempts " + attempts + " must be 1 or more");
            }
            this.connectAttempts = attempts;
            return this;
        }

        /**
         * How long {@link RunningProxy#close()} lets open connections finish before resetting
         * them. Zero resets them at once. Default 10 seconds.
         *
         * @throws IllegalArgumentException if null or negative
         */
        public Builder drainTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative()) {
                throw new IllegalArgumentException("drain timeout " + timeout + " must be zero or positive");
            }
            this.drainTimeout = timeout;
            return this;
        }

        /**
         * Number of reactor threads. Default: the number of available processors.
         *
         * @throws IllegalArgumentException if outside 1-1024
         */
        public Builder reactorThreads(int threads) {
            if (threads < 1 || threads > 1024) {
                throw new IllegalArgumentException("reactor threads " + threads + " is out of range 1-1024");
            }
            this.reactorThreads = threads;
            return this;
        }

        /**
         * Size of a relay buffer. A connection reads at most this much at once and holds at most
         * one buffer per direction while a peer is slow, so at most twice this much; an idle
         * connection holds none. Default 256 KiB.
         *
         * @throws IllegalArgumentException if outside 1 KiB - 16 MiB
         */
        public Builder bufferSize(int bytes) {
            if (bytes < 1024 || bytes > 16 * 1024 * 1024) {
                throw new IllegalArgumentException("buffer size " + bytes + " is out of range 1024-16777216 bytes");
            }
            this.bufferSize = bytes;
            return this;
        }

        /**
         * Memory for relay buffers, in bytes. When it is spent, connections that need a buffer
         * read 4 KiB at a time through a small buffer of their reactor's instead, and keep what
         * a peer does not take of such a read (at most 4 KiB per direction) on the heap: they go
         * on, slower, so that a few connections whose peers do not read cannot stop the others by
         * holding every buffer; nothing is dropped or reset. A connection that already holds a
         * buffer in one direction may take one for the other direction beyond this: the buffers
         * in use stay below twice this value. Buffers are direct memory, and the JDK stalls the
         * thread that allocates one beyond {@code -XX:MaxDirectMemorySize} before it fails;
         * should that limit be reached first anyway (other users of direct memory), the proxy
         * lowers this budget to what fitted.
         *
         * <p>Default 0: three eighths of the JVM's direct memory limit ({@code
         * -XX:MaxDirectMemorySize}, or the maximum heap size when that is not set), so that twice
         * it fits, shared by every proxy in the JVM that keeps this default.
         *
         * @param bytes 0 for the default, else at least {@link #bufferSize(int)} (checked by
         *     {@link #start()})
         * @throws IllegalArgumentException if negative
         */
        public Builder maxBufferMemory(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("max buffer memory " + bytes + " must be 0 (the default) or more");
            }
            this.maxBufferMemory = bytes;
            return this;
        }

        /**
         * The listen socket's backlog of connections not yet accepted. Default 1024.
         *
         * @throws IllegalArgumentException if less than 1
         */
        public Builder acceptBacklog(int backlog) {
            if (backlog < 1) {
                throw new IllegalArgumentException("accept backlog " + backlog + " must be 1 or more");
            }
            this.acceptBacklog = backlog;
            return this;
        }

        /**
         * The kernel's send buffer size (SO_SNDBUF) for both sockets of every connection; 0 (the
         * default) leaves the system's default and its auto-tuning.
         *
         * @throws IllegalArgumentException if negative or over 256 MiB
         */
        public Builder sendBufferSize(int bytes) {
            this.sendBufferSize = socketBuffer("send buffer size", bytes);
            return this;
        }

        /**
         * The kernel's receive buffer size (SO_RCVBUF) for both sockets of every connection, set on
         * the listen socket too so that accepted sockets get it from their first byte; 0 (the
         * default) leaves the system's default and its auto-tuning.
         *
         * @throws IllegalArgumentException if negative or over 256 MiB
         */
        public Builder receiveBufferSize(int bytes) {
            this.receiveBufferSize = socketBuffer("receive buffer size", bytes);
            return this;
        }

        /**
         * At most this many client connections open at once; a client over the limit is accepted
         * and closed at once, counted in {@link ProxyStats#refusedMaxConnections()}, and clients
         * are served again as soon as connections end. 0 (the default) means no limit.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder maxConnections(int max) {
            this.maxConnections = nonNegative("max connections", max);
            return this;
        }

        /**
         * At most this many connections open at once from one client IP address; over the limit
         * a new connection from that address is closed at once and counted in
         * {@link ProxyStats#refusedMaxConnectionsPerClient()}. 0 (the default) means no limit.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder maxConnectionsPerClient(int max) {
            this.maxConnectionsPerClient = nonNegative("max connections per client", max);
            return this;
        }

        /**
         * At most this many new connections per second from one client IP address, with bursts
         * of up to as many at once (a token bucket); over the rate a new connection is closed at
         * once and counted in {@link ProxyStats#refusedRateLimited()}. 0 (the default) means no
         * limit.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder maxConnectionRatePerClient(int perSecond) {
            this.maxConnectionRatePerClient = nonNegative("max connection rate per client", perSecond);
            return this;
        }

        /**
         * Closes a connection when no byte has moved either way for this long (both sides are
         * closed, only this connection is affected). Zero (the default) means no idle timeout.
         *
         * @throws IllegalArgumentException if null or negative
         */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = zeroOrPositive("idle timeout", timeout);
            return this;
        }

        /**
         * Closes a half-closed connection (one direction has ended with a FIN) when the other
         * direction has been silent for this long, as HAProxy's {@code timeout client-fin} and
         * {@code server-fin}. Zero (the default) leaves half-closed connections to the
         * {@link #idleTimeout(Duration)}, if any. It is also what ends a half-closed connection
         * whose ended side later resets while the other side stays silent: the proxy no longer
         * watches a socket that sent its FIN and has nothing to be written to it (Java's
         * selectors cannot report a reset without read or write interest).
         *
         * @throws IllegalArgumentException if null or negative
         */
        public Builder halfClosedTimeout(Duration timeout) {
            this.halfClosedTimeout = zeroOrPositive("half-closed timeout", timeout);
            return this;
        }

        /**
         * Serves only clients whose address is in one of these CIDR ranges ({@code 10.0.0.0/8},
         * {@code 2001:db8::/32}, or a single address); adds to earlier calls. With no allow range
         * (the default) every client not denied is served. Checked when a client is accepted,
         * before any backend is contacted; a client not allowed is closed at once and counted in
         * {@link ProxyStats#refusedDenied()}.
         *
         * @throws IllegalArgumentException naming the text if one is not a valid range
         * @see CidrRange#parse(String)
         */
        public Builder allow(String... cidrRanges) {
            allow.addAll(ranges("allow", cidrRanges));
            return this;
        }

        /**
         * Refuses clients whose address is in one of these CIDR ranges; adds to earlier calls.
         * Deny wins over {@link #allow(String...)}: a client in both is refused. A refused client
         * is closed at once, before any backend is contacted, and counted in
         * {@link ProxyStats#refusedDenied()}.
         *
         * @throws IllegalArgumentException naming the text if one is not a valid range
         * @see CidrRange#parse(String)
         */
        public Builder deny(String... cidrRanges) {
            deny.addAll(ranges("deny", cidrRanges));
            return this;
        }

        /**
         * Adds a listener that hears every connection's events (accepted, refused, backend chosen,
         * connect failed, closed with bytes and duration), for access logs and metrics. Listeners
         * are called on the reactor threads and must not block; see {@link ConnectionListener}.
         *
         * @throws IllegalArgumentException if it is null
         */
        public Builder connectionListener(ConnectionListener listener) {
            if (listener == null) {
                throw new IllegalArgumentException("connection listener must not be null");
            }
            listeners.add(listener);
            return this;
        }

        /**
         * Sends a PROXY protocol header (HAProxy's, version 1 or 2) to each backend before the
         * client's bytes, so that the backend sees the original client's address and the address
         * it connected to. With {@link #acceptProxyProtocol(boolean)} the addresses passed on are
         * those of the received header. Only for backends that expect the header. Active health
         * checks then send a header too, one that names no client (see {@link HealthCheck}).
         * Default {@link ProxyProtocol#OFF}.
         *
         * @throws IllegalArgumentException if it is null
         */
        public Builder sendProxyProtocol(ProxyProtocol version) {
            if (version == null) {
                throw new IllegalArgumentException("PROXY protocol version must not be null; use OFF for none");
            }
            this.sendProxyProtocol = version;
            return this;
        }

        /**
         * Expects every client to start with a PROXY protocol header (version 1 or 2, detected),
         * as a front load balancer sends it, and takes the client's address from it: strategies,
         * listeners and a header sent on ({@link #sendProxyProtocol}) see that address. The
         * header is read before any backend is contacted and parsed strictly: a malformed,
         * oversized (over 107 bytes for v1, 1040 for v2) or incomplete header closes that
         * connection, counted in {@link ProxyStats#proxyProtocolErrors()} and logged at most once
         * a second. Access lists and per-client limits apply to the address that connected (the
         * load balancer). Default false.
         */
        public Builder acceptProxyProtocol(boolean on) {
            this.acceptProxyProtocol = on;
            return this;
        }

        /**
         * How long a client may take to send its whole PROXY protocol header when
         * {@link #acceptProxyProtocol(boolean)} is on. Default 3 seconds.
         *
         * @throws IllegalArgumentException if null, zero or negative
         */
        public Builder proxyProtocolTimeout(Duration timeout) {
            this.proxyProtocolTimeout = positive("PROXY protocol timeout", timeout);
            return this;
        }

        /** Whether to set TCP_NODELAY on both sockets of every connection. Default true. */
        public Builder tcpNoDelay(boolean on) {
            this.tcpNoDelay = on;
            return this;
        }

        /** Whether to set SO_KEEPALIVE on both sockets of every connection. Default true. */
        public Builder keepAlive(boolean on) {
            this.keepAlive = on;
            return this;
        }

        /**
         * Turns on active health checks: a TCP connect to every backend each interval, with
         * rise and fall thresholds. Off by default.
         *
         * @throws IllegalArgumentException if it is null
         */
        public Builder healthCheck(HealthCheck check) {
            if (check == null) {
                throw new IllegalArgumentException("health check must not be null");
            }
            this.healthCheck = check;
            return this;
        }

        /**
         * Turns on passive health checks, as nginx's {@code max_fails}/{@code fail_timeout}: a
         * backend whose connects fail {@code maxFails} times in a row is marked down for
         * {@code failTimeout}, then tried again (one more failure marks it down again). Off by
         * default; {@code maxFails} 0 turns it off.
         *
         * @throws IllegalArgumentException if {@code maxFails} is negative or the duration is
         *     null or not positive
         */
        public Builder passiveHealth(int maxFails, Duration failTimeout) {
            if (maxFails < 0) {
                throw new IllegalArgumentException("max fails " + maxFails + " must be 0 (off) or more");
            }
            this.failTimeout = positive("fail timeout", failTimeout);
            this.maxFails = maxFails;
            return this;
        }

        /**
         * Slow start: a backend that comes up (added, or back from down) gets a weight growing
         * from a small share to its full weight over {@code duration}, so it is not flooded while
         * cold. Zero (the default) turns it off. Applies to the weighted strategies. The weight
         * grows in whole steps (at least 1), so a backend of weight 1 is not ramped at all (a
         * warning is logged): give backends weights such as 10 or 100, only their ratios matter.
         * Strategies that build tables from the weights ({@code source-hash}, {@code maglev})
         * rebuild them at each step, and {@code source-hash} then moves clients of the other
         * backends too.
         *
         * @throws IllegalArgumentException if null or negative
         */
        public Builder slowStart(Duration duration) {
            if (duration == null || duration.isNegative()) {
                throw new IllegalArgumentException("slow start " + duration + " must be zero or positive");
            }
            this.slowStart = duration;
            return this;
        }

        /** An instance for the proxy being started: see {@link #strategySpec}. */
        private Strategy strategyForThisProxy() {
            if (strategySpec == null) {
                return strategy != null ? strategy : new RoundRobinStrategy();
            }
            Strategy forThisOne = strategy != null ? strategy : Strategies.create(strategySpec);
            strategy = null; // a strategy keeps state about one proxy's backends: the next gets its own
            return forThisOne;
        }

        /**
         * Binds the listen address and starts the proxy; returns once it is listening.
         *
         * @throws IllegalStateException if no backend was given
         * @throws IllegalArgumentException if {@link #maxBufferMemory(long)} is less than one buffer
         * @throws TcpProxyException if no engine is on the class path (the message names the
         *     artifact to add) or the address cannot be bound (the message names it)
         */
        public RunningProxy start() {
            if (backends.isEmpty()) {
                throw new IllegalStateException("no backends: add at least one with backend(host, port)");
            }
            if (maxBufferMemory != 0 && maxBufferMemory < bufferSize) {
                throw new IllegalArgumentException("max buffer memory " + maxBufferMemory
                        + " is less than one buffer (buffer size " + bufferSize + ")");
            }
            Config config = new Config(listen, List.copyOf(backends),
                    strategyForThisProxy(), connectTimeout,
                    connectAttempts, drainTimeout, reactorThreads, bufferSize, maxBufferMemory, acceptBacklog,
                    tcpNoDelay, keepAlive, healthCheck, maxFails, failTimeout, slowStart, sendBufferSize,
                    receiveBufferSize, maxConnections, maxConnectionsPerClient, maxConnectionRatePerClient,
                    idleTimeout, halfClosedTimeout, List.copyOf(allow), List.copyOf(deny),
                    List.copyOf(listeners), sendProxyProtocol, acceptProxyProtocol, proxyProtocolTimeout);
            return findEngine().start(config);
        }

        private static int nonNegative(String what, int value) {
            if (value < 0) {
                throw new IllegalArgumentException(what + " " + value + " must be 0 (no limit) or more");
            }
            return value;
        }

        private static int socketBuffer(String what, int bytes) {
            if (bytes < 0 || bytes > 256 * 1024 * 1024) {
                throw new IllegalArgumentException(what + " " + bytes
                        + " is out of range 0 (system default) - 268435456 bytes");
            }
            return bytes;
        }

        private static Duration zeroOrPositive(String what, Duration value) {
            if (value == null || value.isNegative()) {
                throw new IllegalArgumentException(what + " " + value + " must be zero (off) or positive");
            }
            return value;
        }

        private static List<CidrRange> ranges(String what, String... texts) {
            if (texts == null) {
                throw new IllegalArgumentException(what + " ranges must not be null");
            }
            List<CidrRange> out = new ArrayList<>(texts.length);
            for (String t : texts) {
                try {
                    out.add(CidrRange.parse(t));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
                }
            }
            return out;
        }

        /** Checks that a duration is above zero; the message says {@code 0} for zero, not {@code PT0S}. */
        static Duration positive(String what, Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(what + " " + (value != null && value.isZero() ? "0" : value)
                        + " must be positive");
            }
            return value;
        }
    }

    static EngineProvider findEngine() {
        return Services.first(EngineProvider.class, "a tcpproxy engine", log).orElseThrow(() -> new TcpProxyException(
                "no tcpproxy engine found: add the artifact " + ENGINE_ARTIFACT
                        + " (module io.github.tcpproxy.nio) to the class path or module path"));
    }

    private record Config(
            InetSocketAddress listenAddress,
            List<Backend> backends,
            Strategy strategy,
            Duration connectTimeout,
            int connectAttempts,
            Duration drainTimeout,
            int reactorThreads,
            int bufferSize,
            long maxBufferMemory,
            int acceptBacklog,
            boolean tcpNoDelay,
            boolean keepAlive,
            HealthCheck healthCheck,
            int maxFails,
            Duration failTimeout,
            Duration slowStart,
            int sendBufferSize,
            int receiveBufferSize,
            int maxConnections,
            int maxConnectionsPerClient,
            int maxConnectionRatePerClient,
            Duration idleTimeout,
            Duration halfClosedTimeout,
            List<CidrRange> allow,
            List<CidrRange> deny,
            List<ConnectionListener> connectionListeners,
            ProxyProtocol sendProxyProtocol,
            boolean acceptProxyProtocol,
            Duration proxyProtocolTimeout) implements ProxyConfig {
    }
}
