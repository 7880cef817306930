package io.github.tcpproxy.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backend of the half-close workload: reads until the client's FIN, then answers
 * {@value #ANSWER} bytes of a fixed pseudo-random {@link #pattern()} and closes. A proxy that
 * treats the client's FIN as the end of the whole connection loses the answer, or part of it.
 * Blocking sockets, one thread per connection (the workload runs one at a time).
 */
final class HalfCloseServer extends ThreadPerConnectionServer {
    /** What the client sends before its FIN. */
    static final int REQUEST = 64 * 1024;
    /** What the backend sends after the client's FIN. */
    static final int ANSWER = 1024 * 1024;
    private static final int MAX_CONNECTIONS = 16;
    /** Pseudo-random, so that a lost, repeated or reordered chunk cannot match by chance. */
    private static final ByteBuffer PATTERN;

    static {
        byte[] b = new byte[ANSWER];
        new SplittableRandom(0x7C0C105EL).nextBytes(b);
        PATTERN = ByteBuffer.allocateDirect(ANSWER).put(b).flip().asReadOnlyBuffer();
    }

    private final AtomicLong shortRequests = new AtomicLong();

    HalfCloseServer() throws IOException {
        super("halfclose", 64, MAX_CONNECTIONS);
        start();
    }

    /** The {@value #ANSWER} bytes every answer carries; read-only, positioned at 0. */
    static ByteBuffer pattern() {
        return PATTERN.duplicate();
    }

    /**
     * Connections whose request was not {@value #REQUEST} bytes up to the FIN. The backend closes
     * those without answering, so the client's failure can be told from a lost answer.
     */
    long shortRequests() {
        return shortRequests.get();
    }

    @Override
    void serve(SocketChannel ch) throws IOException {
        if (StreamServer.readToEof(ch, ByteBuffer.allocateDirect(StreamServer.CHUNK)) != REQUEST) {
            shortRequests.incrementAndGet();
            return;
        }
        StreamServer.writeFully(ch, pattern());
        // The close after this ends with a FIN after the answer: everything was read, so no reset.
    }
}
