package io.github.tcpproxy.spi;

import java.net.InetSocketAddress;
import java.util.List;

/** The question put to a {@link Strategy}: which backend for this client. */
public interface SelectionContext {

    /** The client's address and port. */
    InetSocketAddress clientAddress();

    /**
     * The proxy's address the client connected to: the "destination" of IPVS's destination-based
     * schedulers. With a wildcard listen address ({@code 0.0.0.0}, {@code ::}) it is the local
     * address the client reached; with an accepted PROXY protocol header, the destination the
     * header names. With one specific listen address it is that address for every client.
     */
    InetSocketAddress listenAddress();

    /**
     * Every configured backend, in configuration order, drained and down ones included. The list
     * is immutable and {@link java.util.RandomAccess}; {@link BackendView#index()} is each one's
     * position in it (in the newest list: see there). The engine hands out the same list
     * instance until a backend is added, removed or changed, so a strategy may cache tables
     * derived from it keyed on its identity.
     */
    List<BackendView> backends();

    /** Whether a connection to {@code backend} already failed for this client. */
    boolean isExcluded(BackendView backend);

    /** {@link BackendView#isAvailable()} and not {@linkplain #isExcluded(BackendView) excluded}. */
    default boolean isEligible(BackendView backend) {
        return backend.isAvailable() && !isExcluded(backend);
    }
}
