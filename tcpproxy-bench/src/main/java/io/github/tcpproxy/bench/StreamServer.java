package io.github.tcpproxy.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The backend of the stream and request/response workloads: blocking sockets, one thread per
 * connection (there are at most a few dozen), direct buffers so that the backend costs as little
 * CPU as it can. The first byte of a connection says what to do:
 * <ul>
 *   <li>{@code 'U'} (upload): read and discard until EOF, then answer the byte count (8 bytes)
 *       and close;</li>
 *   <li>{@code 'D'} (download): read a duration in milliseconds (8 bytes), send data for that
 *       long, then {@code shutdownOutput()}; close when the client has closed too;</li>
 *   <li>{@code 'E'} (echo): send back everything read, until EOF.</li>
 * </ul>
 */
final class StreamServer extends ThreadPerConnectionServer {
    static final byte UPLOAD = 'U';
    static final byte DOWNLOAD = 'D';
    static final byte ECHO = 'E';
    /** Bulk transfer chunk, on both ends. */
    static final int CHUNK = 64 * 1024;
    private static final int MAX_CONNECTIONS = 64;

    StreamServer() throws IOException {
        super("stream", 128, MAX_CONNECTIONS);
        start();
    }

    @Override
    void serve(SocketChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        buf.limit(1);
        readFully(ch, buf);
        byte command = buf.get(0);
        buf.clear();
        switch (command) {
            case UPLOAD -> {
                long total = readToEof(ch, buf);
                buf.clear();
                buf.putLong(total).flip();
                writeFully(ch, buf);
            }
            case DOWNLOAD -> {
                buf.limit(8);
                readFully(ch, buf);
                sendFor(ch, buf, Math.min(buf.getLong(0), 60_000));
                buf.clear();
                while (ch.read(buf) >= 0) { // until the client closes
                    buf.clear();
                }
            }
            case ECHO -> {
                while (ch.read(buf) >= 0) {
                    buf.flip();
                    writeFully(ch, buf);
                    buf.clear();
                }
            }
            default -> {
                // unknown command: just close
            }
        }
    }

    static void readFully(SocketChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new EOFException("connection ended after " + buf.position() + " of " + buf.limit() + " bytes");
            }
        }
    }

    /** Writes {@code buf}'s whole capacity over and over for {@code millis}, then shuts output down. */
    static void sendFor(SocketChannel ch, ByteBuffer buf, long millis) throws IOException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        buf.clear();
        while (System.nanoTime() - end < 0) {
            ch.write(buf);
            if (!buf.hasRemaining()) {
                buf.clear();
            }
        }
        ch.shutdownOutput();
    }

    /** Reads and discards until EOF, through {@code buf}; returns how many bytes came. */
    static long readToEof(SocketChannel ch, ByteBuffer buf) throws IOException {
        long total = 0;
        int n;
        while ((n = ch.read(buf)) >= 0) {
            total += n;
            buf.clear();
        }
        return total;
    }

    static void writeFully(SocketChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
