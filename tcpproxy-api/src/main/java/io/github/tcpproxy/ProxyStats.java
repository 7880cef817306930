package io.github.tcpproxy;

import java.util.List;

/**
 * Counters of a running proxy, taken by {@link RunningProxy#stats()}. Totals count from the
 * start of the proxy. The figures are read from each reactor thread without stopping it, so a
 * snapshot taken while traffic flows is exact per counter but not one single instant; once
 * traffic stops, a snapshot is exact. Taking one costs a few volatile reads per reactor and per
 * backend: cheap enough to call every second.
 *
 * <p>A refused client (access lists, connection limits) is accepted and closed at once: it is
 * counted under its reason and never in {@link #totalConnections()} or
 * {@link #activeConnections()}.
 *
 * @param activeConnections client connections open now, connecting ones included
 * @param totalConnections client connections accepted and served (not refused) since start
 * @param bytesClientToBackend bytes relayed from clients to backends
 * @param bytesBackendToClient bytes relayed from backends to clients
 * @param bufferedBytes bytes read from one side and not yet taken by the other, over all
 *     connections; bounded by 2 x buffer size per connection
 * @param connectFailures backend connection attempts that failed or timed out
 * @param noBackendClosures clients closed because no backend could be reached
 * @param acceptFailures times {@code accept} failed (typically out of file descriptors); after
 *     each the proxy stops accepting for 100 ms rather than spinning
 * @param refusedDenied clients refused by the allow and deny lists
 * @param refusedMaxConnections clients refused because {@code maxConnections} were open
 * @param refusedMaxConnectionsPerClient clients refused because their address had
 *     {@code maxConnectionsPerClient} open
 * @param refusedRateLimited clients refused because their address opened connections faster
 *     than {@code maxConnectionRatePerClient}
 * @param idleTimeouts connections closed by the idle timeout
 * @param halfClosedTimeouts half-closed connections closed by the half-closed timeout
 * @param proxyProtocolErrors connections closed because their PROXY protocol header was
 *     malformed, too long, or not complete in time
 * @param bufferWaits times a connection had data to read but the relay buffer budget
 *     ({@link TcpProxy.Builder#maxBufferMemory}) was spent, so it read 4 KiB at a time until it
 *     had a buffer again; growing steadily, it says the proxy is short of buffer memory for its
 *     load
 * @param backends every backend with its own counters, as {@link RunningProxy#backends()}
 */
public record ProxyStats(
        long activeConnections,
        long totalConnections,
        long bytesClientToBackend,
        long bytesBackendToClient,
        long bufferedBytes,
        long connectFailures,
        long noBackendClosures,
        long acceptFailures,
        long refusedDenied,
        long refusedMaxConnections,
        long refusedMaxConnectionsPerClient,
        long refusedRateLimited,
        long idleTimeouts,
        long halfClosedTimeouts,
        long proxyProtocolErrors,
        long bufferWaits,
        List<BackendStatus> backends) {

    /** Copies the backend list, so that a snapshot stays as it was taken. */
    public ProxyStats {
        backends = backends == null ? List.of() : List.copyOf(backends);
    }

    /**
     * The counters of earlier versions, with every newer counter 0 and no backends: for tests
     * that compare a whole snapshot.
     */
    public ProxyStats(long activeConnections, long totalConnections, long bytesClientToBackend,
            long bytesBackendToClient, long bufferedBytes, long connectFailures, long noBackendClosures,
            long acceptFailures) {
        this(activeConnections, totalConnections, bytesClientToBackend, bytesBackendToClient, bufferedBytes,
                connectFailures, noBackendClosures, acceptFailures, 0, 0, 0, 0, 0, 0, 0, 0, List.of());
    }

    /** Clients refused for any reason: the sum of the {@code refused*} counters. */
    public long refused() {
        return refusedDenied + refusedMaxConnections + refusedMaxConnectionsPerClient + refusedRateLimited;
    }

    /** These counters without the backend list, to compare proxy-wide counters alone. */
    public ProxyStats withoutBackends() {
        return new ProxyStats(activeConnections, totalConnections, bytesClientToBackend, bytesBackendToClient,
                bufferedBytes, connectFailures, noBackendClosures, acceptFailures, refusedDenied,
                refusedMaxConnections, refusedMaxConnectionsPerClient, refusedRateLimited, idleTimeouts,
                halfClosedTimeouts, proxyProtocolErrors, bufferWaits, List.of());
    }
}
