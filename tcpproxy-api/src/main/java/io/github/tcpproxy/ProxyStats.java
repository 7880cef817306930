package io.github.tcpproxy;

/**
 * Counters of a running proxy, taken by {@link RunningProxy#stats()}. Totals count from the
 * start of the proxy. The figures are read from each reactor thread without stopping it, so a
 * snapshot taken while traffic flows is exact per counter but not one single instant.
 *
 * @param activeConnections client connections open now, connecting ones included
 * @param totalConnections client connections accepted since start
 * @param bytesClientToBackend bytes relayed from clients to backends
 * @param bytesBackendToClient bytes relayed from backends to clients
 * @param bufferedBytes bytes read from one side and not yet taken by the other, over all
 *     connections; bounded by 2 x buffer size per connection
 * @param connectFailures backend connection attempts that failed or timed out
 * @param noBackendClosures clients closed because no backend could be reached
 * @param acceptFailures times {@code accept} failed (typically out of file descriptors); after
 *     each the proxy stops accepting for 100 ms rather than spinning
 */
public record ProxyStats(
        long activeConnections,
        long totalConnections,
        long bytesClientToBackend,
        long bytesBackendToClient,
        long bufferedBytes,
        long connectFailures,
        long noBackendClosures,
        long acceptFailures) {
}
