/**
 * Micrometer meters for a running tcpproxy: {@link io.github.tcpproxy.micrometer.TcpProxyMetrics}.
 * Needs {@code io.micrometer:micrometer-core} at run time, which the user brings.
 */
module io.github.tcpproxy.micrometer {
    requires transitive io.github.tcpproxy;
    requires transitive micrometer.core;

    exports io.github.tcpproxy.micrometer;
}
