package io.github.tcpproxy.fault;

/**
 * A fault: what to do to the connections it targets. The SPI for writing your own; the built-in
 * ones come from {@link Faults}. A {@code Fault} is a small, thread-safe factory: the proxy calls
 * {@link #attach(FaultContext)} once per connection it applies to, on that connection's reactor
 * thread, and the {@link ConnectionFault} it returns keeps that connection's state.
 *
 * <pre>{@code
 * // Drops nothing, but lets at most 10 bytes through per call: a "tiny packets" fault.
 * Fault tiny = connection -> new ConnectionFault() {
 *     public int allow(FlowDirection flow, int available, long readNanos) {
 *         return Math.min(available, 10);
 *     }
 * };
 * try (FaultHandle h = proxy.addFault(tiny)) { ... }
 * }</pre>
 *
 * <p>{@code toString()} names the fault in logs and messages; the
 * built-in ones say what they do ("latency 200 ms").
 */
@FunctionalInterface
public interface Fault {

    /**
     * Starts this fault on one connection and returns its per-connection part, or null when the
     * fault does nothing per connection (as {@link Faults#refuseConnections()}).
     * Called on the connection's reactor thread: must not block.
     *
     * @param connection the connection, and what the fault may do to it
     */
    ConnectionFault attach(FaultContext connection);

    /**
     * Whether the proxy must stop listening while this fault is in force, so that new clients
     * are refused (connection refused), as if nothing listened on the port. The proxy listens
     * again, on the same port, once no such fault is left.
     *
     * @implSpec The default returns false.
     */
    default boolean refusesNewConnections() {
        return false;
    }
}
