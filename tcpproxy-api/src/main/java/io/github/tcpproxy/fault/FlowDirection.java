package io.github.tcpproxy.fault;

/**
 * Which way data flows through a connection. A fault is aimed at one direction or {@link #BOTH};
 * the engine asks a {@link ConnectionFault} about one concrete direction at a time
 * ({@link #CLIENT_TO_BACKEND} or {@link #BACKEND_TO_CLIENT}, never {@code BOTH}).
 */
public enum FlowDirection {
    /** From the client, through the proxy, to the backend ("upstream"). */
    CLIENT_TO_BACKEND,
    /** From the backend, through the proxy, to the client ("downstream"). */
    BACKEND_TO_CLIENT,
    /** Both of the above. */
    BOTH;

    /** Whether this direction includes {@code flow}: {@code BOTH} includes everything. */
    public boolean includes(FlowDirection flow) {
        return this == BOTH || this == flow;
    }
}
