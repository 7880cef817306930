package io.github.tcpproxy.nio;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * One reactor's relay buffers: direct buffers of one size, reused. A connection takes one only
 * for the time it holds data a peer has not taken yet, so idle connections hold none, and the
 * pool keeps at most {@code maxIdle} spare ones so memory returns after a burst. Reactor thread
 * only.
 */
final class BufferPool {
    private final int bufferSize;
    private final int maxIdle;
    private final ArrayDeque<ByteBuffer> idle;
    private int outstanding;

    BufferPool(int bufferSize, int maxIdle) {
        this.bufferSize = bufferSize;
        this.maxIdle = maxIdle;
        this.idle = new ArrayDeque<>(maxIdle);
    }

    int bufferSize() {
        return bufferSize;
    }

    /** A cleared buffer of {@link #bufferSize()} bytes. */
    ByteBuffer acquire() {
        ByteBuffer b = idle.pollFirst();
        if (b == null) {
            b = ByteBuffer.allocateDirect(bufferSize);
        }
        outstanding++;
        return b;
    }

    /** Gives back a buffer from {@link #acquire()}; the caller must not use it again. */
    void release(ByteBuffer b) {
        outstanding--;
        if (idle.size() < maxIdle) {
            b.clear();
            idle.offerFirst(b);
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
