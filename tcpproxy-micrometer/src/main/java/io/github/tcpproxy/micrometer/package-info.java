/**
 * Binds a {@link io.github.tcpproxy.RunningProxy}'s counters to a Micrometer
 * {@code MeterRegistry}: see {@link io.github.tcpproxy.micrometer.TcpProxyMetrics}.
 */
package io.github.tcpproxy.micrometer;
