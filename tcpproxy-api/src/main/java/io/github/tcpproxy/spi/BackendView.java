package io.github.tcpproxy.spi;

import io.github.tcpproxy.Backend;
import java.net.InetSocketAddress;

/**
 * What a {@link Strategy} sees of one backend: its configuration and its live counters. The
 * counters change while the strategy runs (other reactor threads open and close connections);
 * each read is current but two reads are not one instant, as in IPVS.
 */
public interface BackendView {

    /** The backend as configured. */
    Backend backend();

    /** Shorthand for {@code backend().address()}. */
    default InetSocketAddress address() {
        return backend().address();
    }

    /**
     * The position of this backend in the newest {@link SelectionContext#backends()} list, from 0.
     * Views are shared between lists, so when a backend before this one is removed, the index
     * changes at once, also as seen through a list handed out before: use it with the list of the
     * current call, and key anything kept across calls on the address.
     */
    int index();

    /**
     * The weight to schedule with now; 0 means it takes no new connections. It is
     * {@code backend().weight()}, the configured weight, except while slow start ramps a backend
     * that just came up, when it is lower.
     */
    int weight();

    /** Connections with both legs open (IPVS's active connections). */
    int activeConnections();

    /** Connections still connecting or half-closed (IPVS's inactive connections). */
    int inactiveConnections();

    /** Whether health checking considers the backend up; always true without health checks. */
    boolean isUp();

    /** Whether the backend has reached its {@linkplain Backend#maxConnections() connection limit}. */
    default boolean isOverloaded() {
        int max = backend().maxConnections();
        return max > 0 && activeConnections() + inactiveConnections() >= max;
    }

    /** IPVS's availability: weight above 0, up, and not overloaded. */
    default boolean isAvailable() {
        return weight() > 0 && isUp() && !isOverloaded();
    }
}
