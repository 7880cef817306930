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
 *
 * <p>As across a real network partition, a side whose data a fault holds is not read, so its
 * close or reset reaches the other side only once the fault lets that data go (or is removed); a
 * client that gives up on a {@link io.github.tcpproxy.fault.Faults#blackHole() black hole} leaves
 * its backend connection open until then. The idle timeout does not count time data is held by
 * a fault. Use {@link io.github.tcpproxy.fault.Faults#timeout(java.time.Duration)} for a black hole
 * that closes by itself.
 */
package io.github.tcpproxy.fault;
