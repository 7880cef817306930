package io.github.tcpproxy.examples.launcher;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.HealthCheck;
import io.github.tcpproxy.ProxyProtocol;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The {@code tcpproxy} command line, as picocli reads it. A field is {@code null} when its option
 * was not given, so that a config file's value is kept unless a flag overrides it.
 */
@Command(
        name = "tcpproxy",
        mixinStandardHelpOptions = true,
        versionProvider = LauncherCommand.Version.class,
        sortOptions = false,
        usageHelpWidth = 100,
        description = {
            "Runs a TCP proxy and load balancer: each client connection accepted on the listen"
                    + " address is relayed to one backend chosen by the strategy.",
            "",
            "Examples:",
            "  tcpproxy --listen 127.0.0.1:9090 --backend 127.0.0.1:8080 \\",
            "           --backend 127.0.0.1:8081,weight=2 --strategy round-robin",
            "  tcpproxy --config proxy.yaml     (kill -HUP <pid> re-reads its backends)",
            "  tcpproxy -l 127.0.0.1:9090 -b 10.0.0.1:80 -b 10.0.0.2:80 --health-check interval=1s",
            "  tcpproxy --demo        (starts its own echo backends; try: nc 127.0.0.1 9090)",
            ""
        },
        footer = {
            "",
            "Durations: 500ms, 2s, 1m, 1h, 0, or ISO-8601 such as PT2S.",
            "Sizes: bytes such as 262144, or with a unit k, m or g, each a power of 1024: 256k, 64m, 1g"
                    + " (also kb/KiB, mb/MiB, gb/GiB; any case).",
            "Flags override the config file's values; --backend flags replace its backends list.",
            "With --config, SIGHUP re-reads the file and applies its backends (added, removed, re-weighted;"
                    + " open connections finish) and its connection limits (max-connections,"
                    + " max-connections-per-client, max-connection-rate-per-client) to the running proxy;"
                    + " other changes need a restart.",
            "SIGTERM or Ctrl-C stops accepting and lets open connections drain; a second one resets them at once.",
            "Exit status: 0 stopped normally, 1 runtime failure (e.g. listen address in use),"
                    + " 2 usage or config error."
        })
final class LauncherCommand {

    @Option(names = {"-l", "--listen"}, paramLabel = "HOST:PORT",
            description = "Address to listen on; *:PORT for every address, port 0 for any free port."
                    + " Default: " + Settings.DEFAULT_LISTEN + ".")
    String listen;

    @Option(names = {"-b", "--backend"}, paramLabel = "SPEC", converter = BackendConverter.class,
            description = "A backend: HOST:PORT[,weight=N][,max-conns=N]; IPv6 as [::1]:8080. Repeat for more.")
    List<Backend> backends;

    @Option(names = {"-s", "--strategy"}, paramLabel = "NAME[,OPT=VAL]",
            description = "Scheduling strategy, see --list-strategies. Default: " + Settings.DEFAULT_STRATEGY + ".")
    String strategy;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Time one backend connection attempt may take. Default: 5s.")
    Duration connectTimeout;

    @Option(names = "--connect-attempts", paramLabel = "N",
            description = "Backends to try for one client before closing it. Default: 3.")
    Integer connectAttempts;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "On stop, time open connections get to finish before they are reset. Default: 10s.")
    Duration drainTimeout;

    @Option(names = "--threads", paramLabel = "N",
            description = "Reactor threads. Default: the number of processors.")
    Integer threads;

    @Option(names = "--buffer-size", paramLabel = "SIZE", converter = IntSizeConverter.class,
            description = "Relay buffer size, 1024-16777216 bytes (1k-16m); a unit such as 256k is accepted."
                    + " Default: 256k.")
    Integer bufferSize;

    @Option(names = "--health-check", paramLabel = "KEY=VAL[,...]", arity = "0..1", fallbackValue = "on",
            converter = HealthCheckConverter.class,
            description = "Active health checks: a TCP connect to each backend every interval; fall failures"
                    + " in a row mark it down, rise successes up. Keys (any subset): interval=2s, timeout=2s,"
                    + " rise=2, fall=3 (the defaults, used for --health-check alone); 'off' turns checks off."
                    + " Default: off.")
    HealthCheckFlag healthCheck;

    @Option(names = "--max-fails", paramLabel = "N",
            description = "Passive health checks: N connect failures in a row mark a backend down for"
                    + " --fail-timeout, then it is tried again. Default: 0 (off).")
    Integer maxFails;

    @Option(names = "--fail-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long a backend marked down by --max-fails stays down. Default: 10s.")
    Duration failTimeout;

    @Option(names = "--slow-start", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "A backend that comes up (added, or back from down) ramps up to its full weight"
                    + " over this time, in whole steps (give weights such as 10 or 100); for the weighted"
                    + " strategies. Default: 0 (off).")
    Duration slowStart;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Client connections open at once at most; over it a new client is closed at once."
                    + " Default: 0 (no limit).")
    Integer maxConnections;

    @Option(names = "--max-connections-per-client", paramLabel = "N",
            description = "Connections open at once from one client IP address at most. Default: 0 (no limit).")
    Integer maxConnectionsPerClient;

    @Option(names = "--max-connection-rate-per-client", paramLabel = "N",
            description = "New connections per second from one client IP address at most (bursts of N)."
                    + " Default: 0 (no limit).")
    Integer maxConnectionRatePerClient;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Close a connection after this long without a byte either way. Default: 0 (never).")
    Duration idleTimeout;

    @Option(names = "--half-closed-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Close a half-closed connection (one side sent its FIN) after this long without a"
                    + " byte the other way. Default: 0 (left to --idle-timeout).")
    Duration halfClosedTimeout;

    @Option(names = "--accept-backlog", paramLabel = "N",
            description = "Listen socket backlog. Default: 1024.")
    Integer acceptBacklog;

    @Option(names = "--tcp-nodelay", paramLabel = "true|false", arity = "1",
            description = "TCP_NODELAY on both sockets of each connection. Default: true.")
    Boolean tcpNoDelay;

    @Option(names = "--keepalive", paramLabel = "true|false", arity = "1",
            description = "SO_KEEPALIVE on both sockets of each connection. Default: true.")
    Boolean keepAlive;

    @Option(names = "--send-buffer-size", paramLabel = "SIZE", converter = IntSizeConverter.class,
            description = "SO_SNDBUF of both sockets of each connection, up to 256m; a unit such as 512k is"
                    + " accepted. Default: 0 (the system's).")
    Integer sendBufferSize;

    @Option(names = "--receive-buffer-size", paramLabel = "SIZE", converter = IntSizeConverter.class,
            description = "SO_RCVBUF of both sockets of each connection, up to 256m; a unit such as 512k is"
                    + " accepted. Default: 0 (the system's).")
    Integer receiveBufferSize;

    @Option(names = "--max-buffer-memory", paramLabel = "SIZE", converter = LongSizeConverter.class,
            description = "Memory for relay buffers, such as 512m or 2g; when it is spent, connections that need"
                    + " a buffer relay 4 KiB at a time through a small reserve instead (a connection holding one"
                    + " may take a second, so at most twice this is used)."
                    + " Default: 0 (three eighths of -XX:MaxDirectMemorySize).")
    Long maxBufferMemory;

    @Option(names = "--allow", paramLabel = "CIDR", split = ",",
            description = "Serve only clients in these ranges (10.0.0.0/8, 2001:db8::/32, 127.0.0.1), comma-separated. Repeatable.")
    List<String> allow;

    @Option(names = "--deny", paramLabel = "CIDR", split = ",",
            description = "Refuse clients in these ranges, comma-separated; wins over --allow. Repeatable.")
    List<String> deny;

    @Option(names = "--access-log", paramLabel = "FILE|-",
            description = "Append a line per connection to FILE ('-': standard output): time, id, client,"
                    + " backend, end, who ended first, bytes up, bytes down, milliseconds. See the README.")
    String accessLog;

    @Option(names = "--send-proxy-protocol", paramLabel = "v1|v2|off", converter = ProxyProtocolConverter.class,
            description = "Send a PROXY protocol header to each backend with the client's address (health checks send"
                    + " one that names no client). Default: off.")
    ProxyProtocol sendProxyProtocol;

    @Option(names = "--accept-proxy-protocol", paramLabel = "true|false", arity = "1",
            description = "Expect a PROXY protocol header (v1 or v2) from each client, as a front load balancer"
                    + " sends it; a bad one closes that connection. Default: false.")
    Boolean acceptProxyProtocol;

    @Option(names = "--proxy-protocol-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Time a client gets to send its whole PROXY protocol header. Default: 3s.")
    Duration proxyProtocolTimeout;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Read settings from a YAML file (keys: listen, backends, strategy, connect-timeout,"
                    + " connect-attempts, drain-timeout, threads, buffer-size, health-check, max-fails,"
                    + " fail-timeout, slow-start, max-connections, max-connections-per-client,"
                    + " max-connection-rate-per-client, idle-timeout, half-closed-timeout, accept-backlog,"
                    + " tcp-nodelay, keepalive, send-buffer-size, receive-buffer-size, allow, deny, access-log, send-proxy-protocol, accept-proxy-protocol,"
                    + " proxy-protocol-timeout, max-buffer-memory)."
                    + " SIGHUP re-reads its backends and connection limits.")
    Path config;

    @Option(names = "--demo",
            description = "Start three line-echo backends on loopback and the proxy in front of them.")
    boolean demo;

    @Option(names = "--list-strategies", description = "List the strategies found, then exit.")
    boolean listStrategies;

    @Option(names = {"-v", "--verbose"},
            description = "Log every connection (DEBUG for io.github.tcpproxy).")
    boolean verbose;

    /** The settings the flags give; null for each one not given. */
    Settings toSettings() {
        return new Settings(listen, backends, strategy, connectTimeout, connectAttempts, drainTimeout,
                threads, bufferSize, healthCheck == null ? null : Optional.ofNullable(healthCheck.check()), maxFails,
                failTimeout, slowStart, new Hardening(maxConnections, maxConnectionsPerClient,
                        maxConnectionRatePerClient, idleTimeout, halfClosedTimeout, acceptBacklog, tcpNoDelay,
                        keepAlive, sendBufferSize, receiveBufferSize, allow, deny, accessLog, sendProxyProtocol,
                        acceptProxyProtocol, proxyProtocolTimeout, maxBufferMemory));
    }

    /** Turns {@code --backend} text into a {@link Backend}, with its own message on failure. */
    static final class BackendConverter implements ITypeConverter<Backend> {
        @Override
        public Backend convert(String value) {
            try {
                return Backend.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Turns duration text into a {@link Duration}; see {@link Durations}. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Durations.parse(null, value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Turns size text into bytes for the options that take an {@code int}; see {@link ByteSizes}. */
    static final class IntSizeConverter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return ByteSizes.parseInt(null, value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Turns size text into bytes for the options that take a {@code long}; see {@link ByteSizes}. */
    static final class LongSizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return ByteSizes.parse(null, value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Turns {@code --send-proxy-protocol} text into a {@link ProxyProtocol}. */
    static final class ProxyProtocolConverter implements ITypeConverter<ProxyProtocol> {
        @Override
        public ProxyProtocol convert(String value) {
            try {
                return Hardening.proxyProtocol(null, value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /**
     * What {@code --health-check} gave: checks, or a null check for {@code off}. Not an
     * {@link Optional} field, because picocli sets those to empty when the option is absent, and
     * "absent" must stay null so that a config file's value is kept.
     */
    record HealthCheckFlag(HealthCheck check) {
    }

    /** Turns {@code --health-check} text into a {@link HealthCheckFlag}; see {@link HealthChecks}. */
    static final class HealthCheckConverter implements ITypeConverter<HealthCheckFlag> {
        @Override
        public HealthCheckFlag convert(String value) {
            try {
                return new HealthCheckFlag(HealthChecks.parse(null, value).orElse(null));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Prints {@code tcpproxy <version>} for {@code --version}. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"tcpproxy " + version()};
        }

        /**
         * The project version: from {@code version.properties}, filtered by Maven at build time
         * (present in tests as in the jar), else from the jar manifest, else "unknown".
         */
        static String version() {
            try (InputStream in = LauncherCommand.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    Properties p = new Properties();
                    p.load(in);
                    String v = p.getProperty("version");
                    if (v != null && !v.isBlank() && !v.contains("${")) {
                        return v.trim();
                    }
                }
            } catch (IOException e) {
                // Fall back to the manifest below.
            }
            String fromManifest = LauncherCommand.class.getPackage().getImplementationVersion();
            return fromManifest != null ? fromManifest : "unknown";
        }
    }
}
