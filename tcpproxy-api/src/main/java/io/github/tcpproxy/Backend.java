package io.github.tcpproxy;

import io.github.tcpproxy.internal.Addresses;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A server that the proxy forwards connections to: its address, its weight and an optional
 * limit on concurrent connections. Immutable; the {@code with...} methods return copies.
 *
 * <p>The host name is resolved when the backend is created, never later on a proxy thread.
 *
 * <pre>{@code
 * Backend.of("10.0.0.2", 8080).withWeight(3).withMaxConnections(500)
 * Backend.parse("10.0.0.2:8080,weight=3,max-conns=500")
 * }</pre>
 */
public final class Backend {
    /** The weight of a backend created without one. */
    public static final int DEFAULT_WEIGHT = 1;

    private final InetSocketAddress address;
    private final int weight;
    private final int maxConnections;

    private Backend(InetSocketAddress address, int weight, int maxConnections) {
        this.address = address;
        this.weight = weight;
        this.maxConnections = maxConnections;
    }

    /**
     * A backend at {@code host:port} with weight 1 and no connection limit.
     *
     * @throws IllegalArgumentException if the host is empty, cannot be resolved or is a wildcard
     *     address, or the port is outside 1-65535
     */
    public static Backend of(String host, int port) {
        checkBackendPort(port);
        return of(Addresses.resolve("backend", host, port));
    }

    /**
     * A backend at {@code address} with weight 1 and no connection limit. An unresolved address
     * is resolved now.
     *
     * @throws IllegalArgumentException if the address is null, cannot be resolved, is a wildcard
     *     address, or has port 0
     */
    public static Backend of(InetSocketAddress address) {
        if (address == null) {
            throw new IllegalArgumentException("backend address must not be null");
        }
        checkBackendPort(address.getPort());
        InetSocketAddress resolved = address.isUnresolved()
                ? Addresses.resolve("backend", address.getHostString(), address.getPort())
                : address;
        if (resolved.getAddress().isAnyLocalAddress()) {
            throw new IllegalArgumentException("backend address " + Addresses.format(resolved)
                    + " is a wildcard address; name the host to connect to");
        }
        return new Backend(resolved, DEFAULT_WEIGHT, 0);
    }

    /**
     * Parses {@code host:port} optionally followed by {@code ,weight=N} and {@code ,max-conns=N},
     * in any order; IPv6 addresses go in brackets: {@code [::1]:8080,weight=2}.
     *
     * @throws IllegalArgumentException naming the text and the bad part if it does not parse
     */
    public static Backend parse(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        String[] parts = spec.split(",", -1);
        Backend backend = of(Addresses.parse("backend '" + spec + "': address", parts[0], 1));
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i].trim();
            int eq = part.indexOf('=');
            String key = eq < 0 ? part : part.substring(0, eq).trim();
            String value = eq < 0 ? "" : part.substring(eq + 1).trim();
            switch (key) {
                case "weight" -> backend = backend.withWeight(parseInt(spec, key, value));
                case "max-conns", "maxconn", "max-connections" ->
                        backend = backend.withMaxConnections(parseInt(spec, key, value));
                default -> throw new IllegalArgumentException("backend '" + spec
                        + "' has an unknown option '" + part + "'; known: weight=N, max-conns=N");
            }
        }
        return backend;
    }

    private static int parseInt(String spec, String key, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "backend '" + spec + "': " + key + " '" + value + "' is not a whole number");
        }
    }

    private static void checkBackendPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("backend port " + port + " is out of range 1-65535");
        }
    }

    /**
     * A copy with another weight. Weights are relative shares for the weighted strategies;
     * 0 means "take no new connections" (drain).
     *
     * @throws IllegalArgumentException if {@code weight} is negative
     */
    public Backend withWeight(int weight) {
        if (weight < 0) {
            throw new IllegalArgumentException("backend " + this.name() + ": weight " + weight
                    + " is negative; use 0 to take no new connections");
        }
        return new Backend(address, weight, maxConnections);
    }

    /**
     * A copy with a limit on concurrent connections (IPVS's upper threshold, HAProxy's
     * {@code maxconn}); a backend at its limit is skipped by the strategies. 0 means no limit.
     *
     * @throws IllegalArgumentException if {@code maxConnections} is negative
     */
    public Backend withMaxConnections(int maxConnections) {
        if (maxConnections < 0) {
            throw new IllegalArgumentException("backend " + this.name() + ": max-conns "
                    + maxConnections + " is negative; use 0 for no limit");
        }
        return new Backend(address, weight, maxConnections);
    }

    /** The resolved address connections go to. */
    public InetSocketAddress address() {
        return address;
    }

    /** The configured weight, 0 or more. */
    public int weight() {
        return weight;
    }

    /** The limit on concurrent connections, or 0 for none. */
    public int maxConnections() {
        return maxConnections;
    }

    /** The address as {@code host:port} ({@code [v6]:port}), used in logs and messages. */
    public String name() {
        return Addresses.format(address);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Backend other
                && address.equals(other.address)
                && weight == other.weight
                && maxConnections == other.maxConnections;
    }

    @Override
    public int hashCode() {
        return Objects.hash(address, weight, maxConnections);
    }

    /** {@code host:port,weight=N[,max-conns=N]}, the form {@link #parse(String)} reads. */
    @Override
    public String toString() {
        return name() + ",weight=" + weight + (maxConnections > 0 ? ",max-conns=" + maxConnections : "");
    }
}
