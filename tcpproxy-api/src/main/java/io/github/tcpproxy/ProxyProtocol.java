package io.github.tcpproxy;

/**
 * Versions of HAProxy's PROXY protocol, which passes the original client's address to the next
 * hop in a header before the client's own bytes: see {@link TcpProxy.Builder#sendProxyProtocol}.
 */
public enum ProxyProtocol {
    /** No header. */
    OFF,
    /** Version 1: a line of text, such as {@code PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\r\n}. */
    V1,
    /** Version 2: a binary header of 28 (IPv4) or 52 (IPv6) bytes. */
    V2
}
