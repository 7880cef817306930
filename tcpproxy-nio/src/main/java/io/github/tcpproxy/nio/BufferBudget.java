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
 * limit of our own, connections that need a new buffer instead read a little at a time through
 * their reactor's {@link Reactor#reserve} until buffers come back.
 *
 * <p>A connection that already holds a buffer in one direction may take its second one beyond the
 * limit, up to twice it (see {@link BufferPool#acquireSecond()}), so that its reads stay
 * full-sized. Twice the limit is therefore the true bound, and the shared default is sized for
 * that.
 */
final class BufferBudget {
    /**
     * The share of the JVM's direct memory limit that proxies with the default budget use: twice
     * it, the worst case, leaves a quarter to the JDK's own temporary buffers and to others.
     */
    private static final double DEFAULT_SHARE = 0.375;

    private static final class Shared {
        static final BufferBudget INSTANCE = new BufferBudget((long) (jvmDirectMemoryLimit() * DEFAULT_SHARE));
    }

    private volatile long limit;
    private final AtomicLong taken = new AtomicLong();

    BufferBudget(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("buffer memory limit " + limit + " must be positive");
        }
        this.limit = limit;
    }

    /**
     * The budget of every proxy in this JVM that sets no limit of its own: three eighths of the
     * JVM's direct memory limit, so that even twice it leaves room for others.
     */
    static BufferBudget shared() {
        return Shared.INSTANCE;
    }

    /**
     * Takes {@code bytes} if what is taken stays within {@code ceiling} bytes; a ceiling of
     * {@link Long#MAX_VALUE} takes them whatever is taken already.
     */
    boolean tryTake(long bytes, long ceiling) {
        while (true) {
            long now = taken.get();
            if (now + bytes > ceiling) {
                return false;
            }
            if (taken.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives back what {@link #tryTake} took. */
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
     * The JVM ran out of direct memory with {@code takenThen} bytes taken: others use it too, or
     * the limit was set above the JVM's. Lowers the limit to half of that (at least {@code
     * minimum}), so that even twice the new limit fits where the allocation failed, and pools stop
     * calling {@code allocateDirect} (and stalling in it) before they reach it again.
     *
     * @return the new limit
     */
    synchronized long lowerAfterOutOfMemory(long takenThen, long minimum) {
        long lowered = Math.max(minimum, takenThen / 2);
        if (lowered < limit) {
            limit = lowered;
        }
        return limit;
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
