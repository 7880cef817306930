package io.github.tcpproxy.nio;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * One reactor's relay buffers: direct buffers of one size, reused. A connection takes one only
 * for the time it holds data a peer has not taken yet, so idle connections hold none, and the
 * pool keeps at most {@code maxIdle} spare ones so memory returns after a burst. New buffers come
 * out of a {@link BufferBudget}; when it is spent {@link #acquire()} answers null and the caller
 * waits (see {@link Reactor#waitForBuffer}). Reactor thread only.
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
        ByteBuffer b = idle.pollFirst();
        if (b == null) {
            if (!budget.tryTake(bufferSize)) {
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

    /**
     * A cleared buffer even when the budget is spent, for data that cannot wait for one: the
     * PROXY protocol header the proxy itself sends. Null only if the JVM has no direct memory left.
     */
    ByteBuffer acquireEvenOverBudget() {
        ByteBuffer b = idle.pollFirst();
        if (b == null) {
            budget.take(bufferSize);
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
            // The JVM's limit came first (others use direct memory too): wait, as for the budget.
            budget.give(bufferSize);
            long now = System.nanoTime();
            if (now - lastOutOfMemoryLog > 1_000_000_000L) { // connections retry: log once a second
                lastOutOfMemoryLog = now;
                NioProxy.log.warn("no direct memory for a {} byte relay buffer ({}); connections that need one"
                        + " wait", bufferSize, e.getMessage());
            }
            return null;
        }
    }

    /** Gives back a buffer from {@link #acquire()}; the caller must not use it again. */
    void release(ByteBuffer b) {
        outstanding--;
        if (idle.size() < maxIdle) {
            b.clear();
            idle.offerFirst(b);
        } else {
            DirectBuffers.free(b);
            budget.give(bufferSize);
        }
    }

    /** How many more buffers could be had now: the spare ones and what the budget still allows. */
    int available() {
        long left = budget.limit() - budget.taken();
        return idle.size() + (int) Math.min(Integer.MAX_VALUE, Math.max(0, left / bufferSize));
    }

    /** Frees the spare buffers and gives their memory back to the budget: the reactor has ended. */
    void close() {
        for (ByteBuffer b; (b = idle.pollFirst()) != null; ) {
            DirectBuffers.free(b);
            budget.give(bufferSize);
        }
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
