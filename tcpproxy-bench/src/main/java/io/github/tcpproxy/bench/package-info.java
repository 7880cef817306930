/**
 * The loopback benchmark: {@link io.github.tcpproxy.bench.Bench} drives workloads (bulk
 * streams, 64-byte ping-pong, connection rate, redis-benchmark GETs, half-close, idle connections)
 * against a direct connection, the tcpproxy engine in a child JVM
 * ({@link io.github.tcpproxy.bench.ProxyMain}), Netty relays in child JVMs
 * ({@link io.github.tcpproxy.bench.NettyRelayMain}) and, when installed, HAProxy, and prints each figure
 * beside the direct one as a ratio. Everything runs on 127.0.0.0/8 and every loop is bounded in
 * count and time.
 */
package io.github.tcpproxy.bench;
