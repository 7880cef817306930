package io.github.tcpproxy.fault;

/**
 * A fault in force on a proxy, returned by
 * {@link io.github.tcpproxy.RunningProxy#addFault(Fault, FaultTarget)}. {@link #close()} removes
 * it; thread-safe.
 */
public interface FaultHandle extends AutoCloseable {

    /** The fault. */
    Fault fault();

    /** The connections and directions it is aimed at. */
    FaultTarget target();

    /**
     * The seed that decides which connections it applies to (with a probability below 1) and its
     * random draws: the target's seed, or the one picked when none was set. Log it, and set it
     * on the target to repeat a run.
     */
    long seed();

    /** Whether it is still in force, that is neither closed nor removed with the proxy's faults. */
    boolean isActive();

    /**
     * Removes the fault; returns once no connection is affected by it any more: data it held
     * flows on, nothing is lost. Removing it twice does nothing.
     *
     * @throws IllegalStateException if called on one of the proxy's own threads, which would
     *     deadlock
     * @throws io.github.tcpproxy.TcpProxyException if removing a
     *     {@link Faults#refuseConnections() refuse-connections} fault cannot bind the port again;
     *     the fault is removed all the same, and {@link io.github.tcpproxy.RunningProxy#enable()}
     *     tries listening again
     */
    @Override
    void close();
}
