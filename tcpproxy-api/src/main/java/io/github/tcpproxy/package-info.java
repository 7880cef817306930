/**
 * Embeds a TCP proxy and load balancer: start one with {@link io.github.tcpproxy.TcpProxy#builder()},
 * describe the backends with {@link io.github.tcpproxy.Backend}, and control it through the
 * {@link io.github.tcpproxy.RunningProxy} handle that {@code start()} returns.
 */
package io.github.tcpproxy;
