package io.github.tcpproxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * What the workloads connect to: the backends themselves ({@link DirectTarget}), tcpproxy or a
 * Netty relay in a child JVM ({@link JvmTarget}), or HAProxy ({@link HaproxyTarget}). One address
 * per {@link Service}, each relayed to the matching backend of the bench.
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

    /**
     * Where to connect for a workload on {@code service}: the backend itself, or the proxy's listen
     * address relayed to it.
     *
     * @throws IllegalArgumentException if this run has no such backend (Redis not installed, say)
     */
    final InetSocketAddress address(Service service) {
        InetSocketAddress a = addresses().get(service);
        if (a == null) {
            throw new IllegalArgumentException(name + " has no address for " + service.id() + "; it has "
                    + addresses().keySet());
        }
        return a;
    }

    /** The address per backend of this run; the keys are the same for every target of a run. */
    abstract Map<Service, InetSocketAddress> addresses();

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
