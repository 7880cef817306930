/**
 * JMH micro-benchmarks of the pure-code hot paths (strategy selection) and of the relay path
 * through a real in-process proxy. Run them with
 * {@code java -jar tcpproxy-bench.jar jmh [JMH options] [regexp]}; add {@code -prof gc} to see the
 * bytes allocated per operation. The engine's package-private {@code Timers} is benchmarked from
 * {@code io.github.tcpproxy.nio.TimersBench}, in this module but in the engine's package.
 */
package io.github.tcpproxy.bench.jmh;
