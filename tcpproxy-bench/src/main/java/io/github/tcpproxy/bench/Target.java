package io.github.tcpproxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * What the workloads connect to: the backends themselves ({@link DirectTarget}), tcpproxy in a
 * child JVM ({@link TcpproxyTarget}) or HAProxy ({@link HaproxyTarget}). One address per backend
 * kind, each relayed to the matching backend of the bench.
 */
abstract class Target implements AutoCloseable {
    private final String name;

    Target(String name) {
        this.name = name;
    }

    /** Column title. */
    final String name() {
        return name;
    }

    /** Where to connect for the stream and request/response workloads. */
    abstract InetSocketAddress streamAddress();

    /** Where to connect for the connection-rate workload. */
    abstract InetSocketAddress rateAddress();

    /** Where to connect for the idle workload. */
    abstract InetSocketAddress idleAddress();

    /** The process that relays, whose memory and files we count; -1 for a direct connection. */
    long pid() {
        return -1;
    }

    /** Client connections the proxy holds now, from its own counters; -1 if it cannot say. */
    long activeConnections() throws IOException {
        return -1;
    }

    /** Heap figures after a full GC, or null when the target is not a JVM. */
    Heap heapAfterGc() throws IOException {
        return null;
    }

    /** Bytes allocated so far by the proxy's event-loop threads, or -1 if unknown. */
    long reactorAllocatedBytes() throws IOException {
        return -1;
    }

    /** Starts an allocation recording in the proxy, if it can. */
    void startAllocationRecording() throws IOException {
    }

    /** Stops the recording and writes it to {@code file}; false if there was none. */
    boolean stopAllocationRecording(java.nio.file.Path file) throws IOException {
        return false;
    }

    @Override
    public abstract void close();

    /** Heap after a full GC: used and committed bytes, direct-buffer bytes and count, GCs so far. */
    record Heap(long used, long committed, long directUsed, long directCount, long gcCount) {
    }
}
