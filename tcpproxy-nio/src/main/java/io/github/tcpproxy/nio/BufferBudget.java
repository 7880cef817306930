package io.github.tcpproxy.nio;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How much memory relay buffers may take: a limit in bytes and what the buffer pools that share it
 * have allocated. Thread-safe; touched only when a pool allocates or frees a buffer, not when it
 * hands out or takes back a spare one.
 *
 * <p>Why a budget of our own: direct buffers beyond the JVM's limit ({@code
 * -XX:MaxDirectMemorySize}) make {@code ByteBuffer.allocateDirect} call {@code System.gc()} and
 * sleep, on the reactor thread, for up to about half a second before it throws. Staying under a
 * limit of our own, a reactor instead stops reading from the connections that need a new buffer
 * until buffers come back.
 */
final class BufferBudget {
    /** The share of the JVM's direct memory limit that proxies with the default budget use. */
    private static final double DEFAULT_SHARE = 0.75;

    private static final class Shared {
        static final BufferBudget INSTANCE = new BufferBudget((long) (jvmDirectMemoryLimit() * DEFAULT_SHARE));
    }

    private final long limit;
    private final AtomicLong taken = new AtomicLong();

    BufferBudget(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("buffer memory limit " + limit + " must be positive");
        }
        this.limit = limit;
    }

    /**
     * The budget of every proxy in this JVM that sets no limit of its own: three quarters of the
     * JVM's direct memory limit, the rest left to the JDK's own temporary buffers and to others.
     */
    static BufferBudget shared() {
        return Shared.INSTANCE;
    }

    /** Takes {@code bytes} if they fit under the limit. */
    boolean tryTake(long bytes) {
        while (true) {
            long now = taken.get();
            if (now + bytes > limit) {
                return false;
            }
            if (taken.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Takes {@code bytes} even beyond the limit, for the few buffers that cannot wait. */
    void take(long bytes) {
        taken.addAndGet(bytes);
    }

    /** Gives back what {@link #tryTake} or {@link #take} took. */
    void give(long bytes) {
        taken.addAndGet(-bytes);
    }

    long limit() {
        return limit;
    }

    long taken() {
        return taken.get();
    }

    /**
     * {@code -XX:MaxDirectMemorySize}, or when it is not set (or cannot be read: the {@code
     * jdk.management} module is optional) the JDK's default for it, the maximum heap size.
     */
    static long jvmDirectMemoryLimit() {
        try {
            com.sun.management.HotSpotDiagnosticMXBean hotSpot = java.lang.management.ManagementFactory
                    .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (hotSpot != null) {
                long set = Long.parseLong(hotSpot.getVMOption("MaxDirectMemorySize").getValue());
                if (set > 0) {
                    return set;
                }
            }
        } catch (LinkageError | RuntimeException e) {
            NioProxy.log.debug("MaxDirectMemorySize not readable ({}); assuming the heap's maximum", e.toString());
        }
        return Runtime.getRuntime().maxMemory();
    }
}
