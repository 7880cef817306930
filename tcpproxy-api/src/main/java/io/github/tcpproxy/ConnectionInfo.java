package io.github.tcpproxy;

import java.net.InetSocketAddress;

/**
 * One client connection through the proxy, as {@link RunningProxy#connections()} saw it: the
 * figures are a snapshot, but {@link #close()} and {@link #reset()} act on the live connection.
 * Also what a {@link io.github.tcpproxy.fault.FaultTarget#where predicate} of a fault sees.
 */
public interface ConnectionInfo {

    /** The connection's id: 1 for the first connection the proxy accepted, then 2, 3... */
    long id();

    /** The client's address. */
    InetSocketAddress clientAddress();

    /** Its backend's address, or null while none is chosen yet. */
    InetSocketAddress backend();

    /** Bytes passed from the client to the backend. */
    long bytesClientToBackend();

    /** Bytes passed from the backend to the client. */
    long bytesBackendToClient();

    /** Where the connection was in its life. */
    ConnectionState state();

    /**
     * Closes the connection in an orderly way (FIN to both peers); returns once done. Does
     * nothing if it has ended already. Bytes the proxy holds for a slow peer and has not written
     * yet are dropped, so that peer sees a shortened stream with a normal end: use {@link #reset()}
     * where the peers must be able to tell the stream was cut. Called on one of the proxy's own
     * threads (a listener, a fault), where it cannot wait, it returns at once and the close
     * follows soon after.
     */
    void close();

    /**
     * Resets the connection (both peers see a reset); returns once done (at once on one of the
     * proxy's own threads, as {@link #close()}).
     */
    void reset();
}
