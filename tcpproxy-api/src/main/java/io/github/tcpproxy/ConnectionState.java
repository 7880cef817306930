package io.github.tcpproxy;

/** Where a connection through the proxy is in its life, as {@link ConnectionInfo#state()} says. */
public enum ConnectionState {
    /** Accepted; the proxy is reading its PROXY protocol header or connecting to a backend. */
    CONNECTING,
    /** Connected to its backend; data flows both ways. */
    OPEN,
    /** One direction has ended (a FIN was passed on); the other still flows. */
    HALF_CLOSED
}
