/**
 * Micrometer meters for a running tcpproxy: {@link io.github.tcpproxy.micrometer.TcpProxyMetrics}.
 * Needs {@code io.micrometer:micrometer-core} at run time, which the user brings.
 */
module io.github.tcpproxy.micrometer {
    requires transitive io.github.tcpproxy;
    // Not transitive: it is an automatic module; users of Micrometer require it themselves.
    requires micrometer.core;

    exports io.github.tcpproxy.micrometer;
}
