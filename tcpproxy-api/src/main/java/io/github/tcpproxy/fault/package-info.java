/**
 * Faults for tests: make the network between clients and backends misbehave, deterministically,
 * from inside the test. Add one to a running proxy with
 * {@link io.github.tcpproxy.RunningProxy#addFault(Fault, FaultTarget)}; the returned
 * {@link io.github.tcpproxy.fault.FaultHandle} removes it again. {@link io.github.tcpproxy.fault.Faults}
 * makes the built-in ones (latency, bandwidth, slicer, limit-data, timeout, close and reset,
 * slow close, freeze, connect-phase and per-backend faults); {@link io.github.tcpproxy.fault.Fault}
 * and {@link io.github.tcpproxy.fault.ConnectionFault} are the SPI for writing your own.
 *
 * <p>Faults run on the proxy's reactor threads and never block or sleep: data a fault holds back
 * stays in the connection's one relay buffer per direction (the proxy stops reading that side
 * meanwhile), and delays are reactor timers.
 */
package io.github.tcpproxy.fault;
