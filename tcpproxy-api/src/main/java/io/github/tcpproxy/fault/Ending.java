package io.github.tcpproxy.fault;

/** How a fault ends a connection. */
public enum Ending {
    /**
     * An orderly close: both peers get a FIN after the bytes already passed on. Bytes still
     * unread in the proxy's own socket buffers make the kernel answer that peer with a reset,
     * as for any close with unread data.
     */
    CLOSE,
    /** An abortive close ({@code SO_LINGER} 0): both peers get a reset. */
    RESET
}
