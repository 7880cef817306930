package io.github.tcpproxy.fault;

/** How {@link Faults#latency(java.time.Duration, java.time.Duration, Jitter)} spreads its jitter. */
public enum Jitter {
    /** Uniform in {@code [latency - jitter, latency + jitter]}. */
    UNIFORM,
    /** Normal around the latency with the jitter as standard deviation. */
    NORMAL
}
