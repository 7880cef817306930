package io.github.tcpproxy.fault;

/** How a fault ends a connection. */
public enum Ending {
    /**
     * An orderly close: both peers get a FIN after the bytes already passed on. Bytes still
     * unread in the proxy's own socket buffers make the kernel answer that peer with a reset,
     * as for any close with unread data; that reset also drops the bytes passed on to that peer
     * that it had not received yet (a peer that keeps sending while it reads slowly may then see
     * fewer than were passed on).
     */
    CLOSE,
    /** An abortive close ({@code SO_LINGER} 0): both peers get a reset. */
    RESET
}
