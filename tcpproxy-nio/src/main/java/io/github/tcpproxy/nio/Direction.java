package io.github.tcpproxy.nio;

import io.github.tcpproxy.ConnectionSummary.Side;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One way of a connection: read from {@code src}, write to {@code dst}. Reads go into a pooled
 * buffer that is written out at once; only when {@code dst} does not take everything does the
 * direction keep the buffer ({@link #pending}) and stop reading until {@code dst} has drained it.
 * So a direction holds at most one buffer, whatever the peers' speeds, and none while idle.
 * While the buffer budget is spent, reads go through the reactor's small {@link Reactor#reserve}
 * instead, and what {@code dst} does not take of one is kept in a heap buffer of its size.
 * Reactor thread only.
 */
final class Direction {
    /** Reads per readiness event at most, so one busy connection cannot starve the others. */
    private static final int MAX_READS_PER_EVENT = 4;

    private final Connection connection;
    final boolean clientToBackend;
    SocketChannel src;
    SocketChannel dst;
    /** Data read from src that dst has not taken yet, or null. */
    ByteBuffer pending;
    /** src has sent its FIN. */
    boolean srcEnded;
    /** dst got our FIN (shutdownOutput): this direction is over. */
    boolean finished;
    long bytes;
    /** Bytes at the head of {@link #pending} that are the proxy's own (a PROXY protocol header), not relayed. */
    int uncounted;
    /** The backend of the connection, for its byte counters. */
    BackendState backend;
    /** A fault holds {@link #pending} (or the FIN) back: neither read nor write until resumed. */
    private boolean held;
    /** When {@link #pending} was read, for faults that delay it. */
    long readNanos;
    /** The last read found the buffer budget spent (counted once in {@code bufferWaits} until a buffer is had again). */
    private boolean onReserve;
    /** The connection's other direction. */
    Direction other;

    Direction(Connection connection, boolean clientToBackend) {
        this.connection = connection;
        this.clientToBackend = clientToBackend;
    }

    /** Whether a fault holds this direction's data or FIN back. */
    boolean isHeld() {
        return held;
    }

    boolean wantsRead() {
        return !srcEnded && pending == null && !held;
    }

    boolean wantsWrite() {
        return pending != null && !held;
    }

    /** src is readable: relay what it has. */
    void onReadable() throws IOException {
        FaultChain faults = connection.faults;
        if (faults != null && faults.applies(clientToBackend)) {
            readThroughFaults();
            return;
        }
        Reactor reactor = connection.reactor;
        ByteBuffer buf = acquireBuffer(reactor);
        if (buf == null) {
            readThroughReserve(reactor);
            return;
        }
        boolean kept = false;
        try {
            for (int i = 0; i < MAX_READS_PER_EVENT; i++) {
                int n = src.read(buf);
                if (n < 0) {
                    noteSrcEnded();
                    break;
                }
                if (n == 0) {
                    break;
                }
                connection.touch();
                buf.flip();
                written(writeToDst(buf));
                if (buf.hasRemaining()) {
                    // dst is full: keep the rest, stop reading src until dst drains it.
                    pending = buf;
                    kept = true;
                    reactor.buffered += buf.remaining();
                    return;
                }
                buf.clear();
                if (n < buf.capacity()) {
                    break; // src had less than a buffer: most likely nothing more right now
                }
            }
        } finally {
            if (!kept) {
                reactor.releaseBuffer(buf);
            }
        }
        if (srcEnded) {
            endOutput();
        }
    }

    /**
     * A buffer to read into, or null when the budget is spent: then the caller reads through the
     * reactor's reserve. A connection that holds a buffer in its other direction may go beyond
     * the budget's limit (see {@link BufferBudget}), so that its reads stay full-sized.
     */
    private ByteBuffer acquireBuffer(Reactor reactor) {
        // Beyond the limit only for a connection holding a pooled buffer, not a reserve read's copy.
        boolean holdsOne = other.pending != null && other.pending.isDirect();
        ByteBuffer buf = holdsOne ? reactor.buffers.acquireSecond() : reactor.buffers.acquire();
        if (buf != null) {
            onReserve = false;
        } else if (!onReserve) {
            onReserve = true;
            reactor.budgetSpent();
        }
        return buf;
    }

    /**
     * One read of at most {@link Reactor#RESERVE_SIZE} bytes through the reactor's reserve, for
     * when the budget is spent: written out at once, and what dst does not take is kept in a heap
     * buffer of its size. So the budget bounds the buffers, while connections that hold them wait
     * on their peers, not the others on them; what goes beyond it is that little per direction.
     */
    private void readThroughReserve(Reactor reactor) throws IOException {
        ByteBuffer reserve = reactor.reserve;
        reserve.clear();
        int n = src.read(reserve);
        if (n < 0) {
            noteSrcEnded();
            endOutput();
            return;
        }
        if (n == 0) {
            return;
        }
        connection.touch();
        reserve.flip();
        written(writeToDst(reserve));
        if (reserve.hasRemaining()) {
            keepCopy(reactor, reserve);
        }
    }

    /** src sent its FIN: noted here and, if it is the first end, by the connection. */
    private void noteSrcEnded() {
        srcEnded = true;
        connection.sideEnded(clientToBackend);
    }

    /** Keeps what is left of the reserve as {@link #pending}, in a heap buffer of its size. */
    private void keepCopy(Reactor reactor, ByteBuffer reserve) {
        ByteBuffer copy = ByteBuffer.allocate(reserve.remaining());
        copy.put(reserve).flip();
        pending = copy;
        reactor.buffered += copy.remaining();
    }

    /** dst is writable again: drain the pending buffer. */
    void onWritable() throws IOException {
        ByteBuffer buf = pending;
        if (buf == null || held) {
            return;
        }
        FaultChain faults = connection.faults;
        if (faults != null && faults.applies(clientToBackend)) {
            flushThroughFaults(faults);
            return;
        }
        int n = writeToDst(buf);
        written(n);
        Reactor reactor = connection.reactor;
        reactor.buffered -= n;
        if (!buf.hasRemaining()) {
            pending = null;
            reactor.releaseBuffer(buf);
            if (srcEnded) {
                endOutput();
            }
        }
    }

    /**
     * Writes to dst. A failure here (a reset, a broken pipe) is dst's side's, whichever socket's
     * readiness is being handled: the connection is told, for who ended it first.
     */
    private int writeToDst(ByteBuffer buf) throws IOException {
        try {
            return dst.write(buf);
        } catch (IOException e) {
            throw connection.failedOn(dstSide(), e);
        }
    }

    private Side dstSide() {
        return clientToBackend ? Side.BACKEND : Side.CLIENT;
    }

    private void written(int n) {
        if (n == 0) {
            return;
        }
        connection.touch();
        if (uncounted > 0) {
            int own = Math.min(n, uncounted);
            uncounted -= own;
            n -= own;
            if (n == 0) {
                return;
            }
        }
        bytes += n;
        Reactor reactor = connection.reactor;
        if (clientToBackend) {
            reactor.bytesUp += n;
            backend.bytesUp.add(n);
        } else {
            reactor.bytesDown += n;
            backend.bytesDown.add(n);
        }
    }

    /** Passes src's FIN on to dst once everything before it was written. */
    private void endOutput() throws IOException {
        finished = true;
        if (!connection.bothFinished()) {
            try {
                dst.shutdownOutput();
            } catch (IOException e) {
                throw connection.failedOn(dstSide(), e);
            }
        }
        // else the other way ended already: the connection closes both sockets now, and closing
        // dst sends this FIN (nothing is left unread in dst, whose FIN came already).
        connection.onDirectionFinished();
    }

    // ---- through faults: one read, then write only what the faults allow ----

    /** Reads one chunk and keeps it as pending, for the faults to let through. */
    private void readThroughFaults() throws IOException {
        Reactor reactor = connection.reactor;
        ByteBuffer buf = acquireBuffer(reactor);
        boolean reserve = buf == null; // the budget is spent: read a little, keep a copy
        if (reserve) {
            buf = reactor.reserve;
            buf.clear();
        }
        int n;
        try {
            n = src.read(buf);
        } catch (IOException e) {
            if (!reserve) {
                reactor.releaseBuffer(buf);
            }
            throw e;
        }
        if (n <= 0) {
            if (!reserve) {
                reactor.releaseBuffer(buf);
            }
            if (n < 0) {
                noteSrcEnded();
                flushThroughFaults(connection.faults);
            }
            return;
        }
        connection.touch();
        buf.flip();
        readNanos = System.nanoTime();
        if (reserve) {
            keepCopy(reactor, buf);
        } else {
            pending = buf;
            reactor.buffered += n;
        }
        flushThroughFaults(connection.faults);
    }

    /**
     * Writes as much of {@link #pending} as the faults allow, then the FIN if src ended and they
     * allow it; what they hold stays, with {@link #held} set, until {@link #resume()}. With no
     * faults left (they were removed) it writes everything, as the plain relay does.
     */
    private void flushThroughFaults(FaultChain faults) throws IOException {
        held = false;
        Reactor reactor = connection.reactor;
        ByteBuffer buf = pending;
        while (buf != null) {
            int remaining = buf.remaining();
            boolean ownHeader = uncounted > 0; // the proxy's PROXY protocol header: no fault applies
            int allowed = ownHeader ? Math.min(remaining, uncounted)
                    : faults == null ? remaining : Math.min(remaining, faults.allow(clientToBackend, remaining,
                    readNanos));
            if (allowed <= 0) {
                held = true;
                return;
            }
            int limit = buf.limit();
            buf.limit(buf.position() + allowed);
            int n;
            try {
                n = writeToDst(buf);
            } finally {
                buf.limit(limit);
            }
            written(n);
            reactor.buffered -= n;
            if (faults != null && n > 0 && !ownHeader) {
                faults.passed(clientToBackend, n);
            }
            if (!buf.hasRemaining()) {
                pending = null;
                reactor.releaseBuffer(buf);
                buf = null;
            } else if (n < allowed) {
                return; // dst is full: wait for OP_WRITE
            }
        }
        if (srcEnded && !finished) {
            if (faults != null && !faults.allowEnd(clientToBackend)) {
                held = true;
                return;
            }
            endOutput();
        }
    }

    /** A fault lets held data be offered again (or was removed). */
    void resume() throws IOException {
        if (!held || finished) {
            return;
        }
        FaultChain faults = connection.faults;
        flushThroughFaults(faults != null && faults.applies(clientToBackend) ? faults : null);
    }

    /** Returns the pending buffer, if any, to the pool. */
    void releaseBuffer() {
        ByteBuffer buf = pending;
        if (buf != null) {
            pending = null;
            Reactor reactor = connection.reactor;
            reactor.buffered -= buf.remaining();
            reactor.releaseBuffer(buf);
        }
    }
}
