package io.github.tcpproxy;

/**
 * Why a client was closed at once instead of being served, as counted in {@link ProxyStats}.
 */
public enum RefusalReason {
    /** Its address is not in the allow list, or is in the deny list. */
    DENIED,
    /** The proxy had {@link TcpProxy.Builder#maxConnections(int)} connections open. */
    MAX_CONNECTIONS,
    /** Its address had {@link TcpProxy.Builder#maxConnectionsPerClient(int)} connections open. */
    MAX_CONNECTIONS_PER_CLIENT,
    /** Its address opened connections faster than {@link TcpProxy.Builder#maxConnectionRatePerClient(int)}. */
    RATE_LIMITED
}
