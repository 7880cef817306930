package io.github.tcpproxy.examples.launcher;

import io.github.tcpproxy.ProxyProtocol;
import io.github.tcpproxy.TcpProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The launcher's limits, timeouts, TCP options and access lists: the part of {@link Settings}
 * that maps one to one onto {@link TcpProxy.Builder} options. As in {@link Settings}, a value is
 * {@code null} when it was not given, so that a flag overrides the config file only where it is
 * given and the defaults stay in the builder.
 *
 * @param maxConnections see {@link TcpProxy.Builder#maxConnections}
 * @param maxConnectionsPerClient see {@link TcpProxy.Builder#maxConnectionsPerClient}
 * @param maxConnectionRatePerClient see {@link TcpProxy.Builder#maxConnectionRatePerClient}
 * @param idleTimeout see {@link TcpProxy.Builder#idleTimeout}
 * @param halfClosedTimeout see {@link TcpProxy.Builder#halfClosedTimeout}
 * @param acceptBacklog see {@link TcpProxy.Builder#acceptBacklog}
 * @param tcpNoDelay see {@link TcpProxy.Builder#tcpNoDelay}
 * @param keepAlive see {@link TcpProxy.Builder#keepAlive}
 * @param sendBufferSize see {@link TcpProxy.Builder#sendBufferSize}
 * @param receiveBufferSize see {@link TcpProxy.Builder#receiveBufferSize}
 * @param allow CIDR ranges, see {@link TcpProxy.Builder#allow}
 * @param deny CIDR ranges, see {@link TcpProxy.Builder#deny}
 * @param accessLog where the {@link AccessLog} goes: a file, or {@code -} for standard output;
 *     the one value here that is not a builder option
 * @param sendProxyProtocol see {@link TcpProxy.Builder#sendProxyProtocol}
 * @param acceptProxyProtocol see {@link TcpProxy.Builder#acceptProxyProtocol}
 * @param proxyProtocolTimeout see {@link TcpProxy.Builder#proxyProtocolTimeout}
 * @param maxBufferMemory see {@link TcpProxy.Builder#maxBufferMemory}
 */
record Hardening(
        Integer maxConnections,
        Integer maxConnectionsPerClient,
        Integer maxConnectionRatePerClient,
        Duration idleTimeout,
        Duration halfClosedTimeout,
        Integer acceptBacklog,
        Boolean tcpNoDelay,
        Boolean keepAlive,
        Integer sendBufferSize,
        Integer receiveBufferSize,
        List<String> allow,
        List<String> deny,
        String accessLog,
        ProxyProtocol sendProxyProtocol,
        Boolean acceptProxyProtocol,
        Duration proxyProtocolTimeout,
        Long maxBufferMemory) {

    /** The config file keys, in the order of the components. */
    static final List<String> KEYS = List.of("max-connections", "max-connections-per-client",
            "max-connection-rate-per-client", "idle-timeout", "half-closed-timeout", "accept-backlog",
            "tcp-nodelay", "keepalive", "send-buffer-size", "receive-buffer-size", "allow", "deny", "access-log",
            "send-proxy-protocol", "accept-proxy-protocol", "proxy-protocol-timeout", "max-buffer-memory");

    /** The keys a running proxy takes on a reload ({@link io.github.tcpproxy.RunningProxy#setConnectionLimits}). */
    static final List<String> RUNTIME_KEYS = List.of("max-connections", "max-connections-per-client",
            "max-connection-rate-per-client");

    /** Nothing given. */
    static final Hardening NONE = new Hardening(null, null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null);

    Hardening {
        allow = allow == null ? null : List.copyOf(allow);
        deny = deny == null ? null : List.copyOf(deny);
    }

    /** These values with every value {@code override} gives put in place of this one's. */
    Hardening overriddenBy(Hardening override) {
        return new Hardening(
                pick(override.maxConnections, maxConnections),
                pick(override.maxConnectionsPerClient, maxConnectionsPerClient),
                pick(override.maxConnectionRatePerClient, maxConnectionRatePerClient),
                pick(override.idleTimeout, idleTimeout),
                pick(override.halfClosedTimeout, halfClosedTimeout),
                pick(override.acceptBacklog, acceptBacklog),
                pick(override.tcpNoDelay, tcpNoDelay),
                pick(override.keepAlive, keepAlive),
                pick(override.sendBufferSize, sendBufferSize),
                pick(override.receiveBufferSize, receiveBufferSize),
                pick(override.allow, allow),
                pick(override.deny, deny),
                pick(override.accessLog, accessLog),
                pick(override.sendProxyProtocol, sendProxyProtocol),
                pick(override.acceptProxyProtocol, acceptProxyProtocol),
                pick(override.proxyProtocolTimeout, proxyProtocolTimeout),
                pick(override.maxBufferMemory, maxBufferMemory));
    }

    /** The keys whose values differ from {@code other}'s, in {@link #KEYS} order. */
    List<String> changedKeys(Hardening other) {
        Object[] mine = values();
        Object[] theirs = other.values();
        List<String> changed = new ArrayList<>();
        for (int i = 0; i < mine.length; i++) {
            if (!Objects.equals(mine[i], theirs[i])) {
                changed.add(KEYS.get(i));
            }
        }
        return changed;
    }

    private Object[] values() {
        return new Object[] {maxConnections, maxConnectionsPerClient, maxConnectionRatePerClient, idleTimeout,
            halfClosedTimeout, acceptBacklog, tcpNoDelay, keepAlive, sendBufferSize, receiveBufferSize, allow, deny,
            accessLog, sendProxyProtocol, acceptProxyProtocol, proxyProtocolTimeout, maxBufferMemory};
    }

    /**
     * Sets every given value on {@code b}.
     *
     * @param label names a config key in messages: {@code "--threads"} or {@code "file.yaml: threads"};
     *     null for the builder's message alone
     * @throws IllegalArgumentException with the builder's message naming the bad value, after
     *     the label of its key
     */
    void applyTo(TcpProxy.Builder b, UnaryOperator<String> label) {
        Settings.set(label, "max-connections", maxConnections, b::maxConnections);
        Settings.set(label, "max-connections-per-client", maxConnectionsPerClient, b::maxConnectionsPerClient);
        Settings.set(label, "max-connection-rate-per-client", maxConnectionRatePerClient,
                b::maxConnectionRatePerClient);
        Settings.set(label, "idle-timeout", idleTimeout, b::idleTimeout);
        Settings.set(label, "half-closed-timeout", halfClosedTimeout, b::halfClosedTimeout);
        Settings.set(label, "accept-backlog", acceptBacklog, b::acceptBacklog);
        Settings.set(label, "tcp-nodelay", tcpNoDelay, b::tcpNoDelay);
        Settings.set(label, "keepalive", keepAlive, b::keepAlive);
        Settings.set(label, "send-buffer-size", sendBufferSize, b::sendBufferSize);
        Settings.set(label, "receive-buffer-size", receiveBufferSize, b::receiveBufferSize);
        Settings.set(label, "allow", allow, ranges -> b.allow(ranges.toArray(String[]::new)));
        Settings.set(label, "deny", deny, ranges -> b.deny(ranges.toArray(String[]::new)));
        Settings.set(label, "send-proxy-protocol", sendProxyProtocol, b::sendProxyProtocol);
        Settings.set(label, "accept-proxy-protocol", acceptProxyProtocol, b::acceptProxyProtocol);
        Settings.set(label, "proxy-protocol-timeout", proxyProtocolTimeout, b::proxyProtocolTimeout);
        Settings.set(label, "max-buffer-memory", maxBufferMemory, b::maxBufferMemory);
    }

    /** Collects values from config file entries; see {@link ConfigFile}. */
    static final class Reader {
        private final Object[] values = new Object[KEYS.size()];

        /**
         * Reads one entry if its key is one of {@link #KEYS}.
         *
         * @return whether the key was one of this record's
         * @throws IllegalArgumentException naming {@code where} if the value has the wrong type
         */
        boolean read(String key, Object value, String where) {
            int i = KEYS.indexOf(key);
            if (i < 0) {
                return false;
            }
            values[i] = switch (key) {
                case "idle-timeout", "half-closed-timeout", "proxy-protocol-timeout" -> ConfigFile.duration(where, value);
                case "tcp-nodelay", "keepalive", "accept-proxy-protocol" -> ConfigFile.bool(where, value);
                case "send-proxy-protocol" -> proxyProtocol(where, value);
                case "allow", "deny" -> ConfigFile.textList(where, value, "CIDR ranges such as 10.0.0.0/8");
                case "access-log" -> ConfigFile.text(where, value, "a file name, or - for standard output");
                case "send-buffer-size", "receive-buffer-size" -> ConfigFile.intSize(where, value);
                case "max-buffer-memory" -> ConfigFile.longSize(where, value);
                default -> ConfigFile.integer(where, value);
            };
            return true;
        }

        @SuppressWarnings("unchecked")
        Hardening result() {
            return new Hardening((Integer) values[0], (Integer) values[1], (Integer) values[2],
                    (Duration) values[3], (Duration) values[4], (Integer) values[5], (Boolean) values[6],
                    (Boolean) values[7], (Integer) values[8], (Integer) values[9], (List<String>) values[10],
                    (List<String>) values[11], (String) values[12], (ProxyProtocol) values[13], (Boolean) values[14],
                    (Duration) values[15], (Long) values[16]);
        }
    }

    /**
     * Parses {@code v1}, {@code v2} or {@code off} (any case; YAML's false for off).
     *
     * @param where names the value in the message, or null
     * @throws IllegalArgumentException naming the value otherwise
     */
    static ProxyProtocol proxyProtocol(String where, Object value) {
        if (Boolean.FALSE.equals(value)) {
            return ProxyProtocol.OFF;
        }
        String text = String.valueOf(value).trim().toLowerCase(Locale.ROOT);
        return switch (text) {
            case "v1", "1" -> ProxyProtocol.V1;
            case "v2", "2" -> ProxyProtocol.V2;
            case "off" -> ProxyProtocol.OFF;
            default -> throw new IllegalArgumentException((where != null ? where + ": " : "") + "PROXY protocol version '"
                    + value + "' is not one of v1, v2, off");
        };
    }

    private static <T> T pick(T preferred, T fallback) {
        return preferred != null ? preferred : fallback;
    }
}
