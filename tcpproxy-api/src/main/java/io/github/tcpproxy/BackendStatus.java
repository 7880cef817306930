package io.github.tcpproxy;

import java.net.InetSocketAddress;

/**
 * One backend as a running proxy sees it, from {@link RunningProxy#backends()}: its current
 * settings, its health and its counters since it was added. Counters are read without stopping
 * traffic, so they are each exact but not taken at one single instant.
 *
 * @param backend the backend with its current weight and connection limit
 * @param effectiveWeight the weight the strategies use now: the weight, or less while slow start
 *     ramps it up, 0 while down
 * @param up whether health checking (passive or active) considers it up
 * @param activeConnections connections with both legs open
 * @param inactiveConnections connections connecting or half-closed
 * @param totalConnections connections sent to it since it was added, failed attempts included
 * @param bytesClientToBackend bytes relayed to it
 * @param bytesBackendToClient bytes relayed from it
 * @param connectFailures connection attempts that failed or timed out
 */
public record BackendStatus(
        Backend backend,
        int effectiveWeight,
        boolean up,
        int activeConnections,
        int inactiveConnections,
        long totalConnections,
        long bytesClientToBackend,
        long bytesBackendToClient,
        long connectFailures) {

    /** Shorthand for {@code backend().address()}. */
    public InetSocketAddress address() {
        return backend.address();
    }

    /** Shorthand for {@code backend().weight()}: the configured weight. */
    public int weight() {
        return backend.weight();
    }
}
