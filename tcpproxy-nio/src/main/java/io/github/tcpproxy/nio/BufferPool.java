package io.github.tcpproxy.nio;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * One reactor's relay buffers: direct buffers of one size, reused. A connection takes one only
 * for the time it holds data a peer has not taken yet, so idle connections hold none. New buffers
 * come out of a {@link BufferBudget}; when it is spent {@link #acquire()} answers null and the
 * caller reads through {@link Reactor#reserve} instead. Reactor thread only.
 *
 * <p>Spare buffers: at most {@code maxIdle}, so memory returns after a burst, and only while the
 * budget is less than half taken. A spare still counts against the budget, which other reactors
 * (and proxies) share: kept under pressure, one reactor's spares could leave another reactor
 * nothing to read with for as long as the first one stays quiet.
 */
final class BufferPool {
    private final int bufferSize;
    private final int maxIdle;
    private final BufferBudget budget;
    private final ArrayDeque<ByteBuffer> idle;
    private int outstanding;
    private long lastOutOfMemoryLog = System.nanoTime() - 1_000_000_000L;

    BufferPool(int bufferSize, int maxIdle, BufferBudget budget) {
        this.bufferSize = bufferSize;
        this.maxIdle = maxIdle;
        this.budget = budget;
        this.idle = new ArrayDeque<>(maxIdle);
    }

    int bufferSize() {
        return bufferSize;
    }

    /** A cleared buffer of {@link #bufferSize()} bytes, or null when the budget is spent. */
    ByteBuffer acquire() {
        return acquire(budget.limit());
    }

    /**
     * A buffer for a connection that holds one already (in its other direction): beyond the
     * budget's limit up to twice it, so that its reads stay full-sized. Null when even that is
     * spent.
     */
    ByteBuffer acquireSecond() {
        return acquire(2 * budget.limit());
    }

    /**
     * A cleared buffer whatever the budget, for data that cannot wait: the PROXY protocol header
     * the proxy itself sends, released as soon as it is written. Null only if the JVM has no direct
     * memory left.
     */
    ByteBuffer acquireAnyway() {
        return acquire(Long.MAX_VALUE);
    }

    private ByteBuffer acquire(long ceiling) {
        ByteBuffer b = idle.pollFirst();
        if (b == null) {
            if (!budget.tryTake(bufferSize, ceiling)) {
                return null;
            }
            b = allocate();
            if (b == null) {
                return null;
            }
        }
        outstanding++;
        return b;
    }

    /** A new direct buffer whose budget was taken; on failure gives the budget back and answers null. */
    private ByteBuffer allocate() {
        try {
            return ByteBuffer.allocateDirect(bufferSize);
        } catch (OutOfMemoryError e) {
            // The JVM's limit came first: do as for a spent budget, and lower the budget so that the
            // next ones do so without calling allocateDirect (which stalls before it fails).
            long takenThen = budget.taken();
            budget.give(bufferSize);
            long lowered = budget.lowerAfterOutOfMemory(takenThen - bufferSize, bufferSize);
            long now = System.nanoTime();
            if (now - lastOutOfMemoryLog > 1_000_000_000L) { // connections retry: log once a second
                lastOutOfMemoryLog = now;
                NioProxy.log.warn("no direct memory for a {} byte relay buffer ({}); relay buffer budget lowered to"
                        + " {} bytes, connections that need a buffer read a little at a time", bufferSize, e.getMessage(),
                        lowered);
            }
            return null;
        }
    }

    /** Gives back a buffer from one of the {@code acquire} methods; the caller must not use it again. */
    void release(ByteBuffer b) {
        outstanding--;
        if (idle.size() < maxIdle && budget.taken() <= budget.limit() / 2) {
            b.clear();
            idle.offerFirst(b);
        } else {
            free(b);
        }
    }

    /** Frees the spare buffers and gives their memory back to the budget: the reactor has ended. */
    void close() {
        for (ByteBuffer b; (b = idle.pollFirst()) != null; ) {
            free(b);
        }
    }

    /** Frees a buffer of this pool at once and gives its memory back to the budget. */
    private void free(ByteBuffer b) {
        DirectBuffers.free(b);
        budget.give(bufferSize);
    }

    /** Buffers handed out and not yet released. */
    int outstanding() {
        return outstanding;
    }

    /** Spare buffers kept for reuse. */
    int idle() {
        return idle.size();
    }
}
