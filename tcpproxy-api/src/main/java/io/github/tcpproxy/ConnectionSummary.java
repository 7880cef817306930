package io.github.tcpproxy;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * One finished client connection, as {@link ConnectionListener#closed} reports it.
 *
 * @param id the connection's number, as in the listener's other calls
 * @param client the client's address
 * @param backend the backend it was relayed to; null if none was ever connected
 * @param bytesClientToBackend bytes relayed from the client to the backend
 * @param bytesBackendToClient bytes relayed from the backend to the client
 * @param duration from accept to close
 * @param end how it ended
 * @param endedFirst who ended it first: the side whose FIN or reset came first, or
 *     {@link Side#PROXY} when the proxy ended it (timeout, no backend, shutdown)
 * @see ConnectionListener
 */
public record ConnectionSummary(
        long id,
        InetSocketAddress client,
        InetSocketAddress backend,
        long bytesClientToBackend,
        long bytesBackendToClient,
        Duration duration,
        End end,
        Side endedFirst) {

    /** How a connection ended. */
    public enum End {
        /** Both sides sent their FIN: a clean end. */
        COMPLETED,
        /** A side reset the connection or an I/O error ended it; the other side was reset too. */
        RESET,
        /** No backend could be connected; the client was closed. */
        NO_BACKEND,
        /** Closed by the idle timeout. */
        IDLE_TIMEOUT,
        /** Closed by the half-closed timeout. */
        HALF_CLOSED_TIMEOUT,
        /** Reset because the proxy was closed and the drain time ran out. */
        SHUTDOWN,
        /** Closed because its PROXY protocol header was malformed, too long or late. */
        PROXY_PROTOCOL_ERROR,
        /**
         * Closed in order (a FIN to both sides) on purpose: by a fault or by
         * {@link ConnectionInfo#close()}. Resets on purpose are {@link #RESET}, ended by
         * {@link Side#PROXY}.
         */
        CLOSED_BY_PROXY
    }

    /** A side of a connection. */
    public enum Side {
        /** The client. */
        CLIENT,
        /** The backend. */
        BACKEND,
        /** The proxy itself. */
        PROXY
    }
}
