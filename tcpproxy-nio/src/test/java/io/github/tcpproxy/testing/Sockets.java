package io.github.tcpproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * Client-side socket helpers for loopback tests: connect with a read timeout (so a hang fails),
 * reset a socket, tell a reset from a clean end, and find a port where nothing listens.
 */
public final class Sockets {
    /** The default read timeout of sockets made here: long enough for a slow CI, short enough to fail. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private Sockets() {
    }

    /** {@code 127.0.0.1}: tests use IPv4 loopback only. */
    public static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new AssertionError("a 4-byte address is always valid", e);
        }
    }

    /** Connects to {@code address} with a {@link #READ_TIMEOUT read timeout}. */
    public static Socket connect(InetSocketAddress address) throws IOException {
        return connect(address, READ_TIMEOUT);
    }

    /** Connects to {@code address} (waiting at most 5 s) with {@code readTimeout} as SO_TIMEOUT. */
    public static Socket connect(InetSocketAddress address, Duration readTimeout) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(address, CONNECT_TIMEOUT_MILLIS);
            socket.setSoTimeout(Math.toIntExact(readTimeout.toMillis()));
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Closes {@code socket} abortively ({@code SO_LINGER} 0): the peer gets a reset, not a FIN. */
    public static void reset(Socket socket) throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    /**
     * Reads one byte and says how the read ended, for asserting on FIN versus reset: an
     * {@code Integer} (the byte, or -1 at end of stream) or the {@link IOException} the read threw
     * (a {@link java.net.SocketException} for a reset, a {@link java.net.SocketTimeoutException}
     * when nothing happened within the read timeout).
     */
    public static Object readOutcome(Socket socket) {
        try {
            return socket.getInputStream().read();
        } catch (IOException e) {
            return e;
        }
    }

    /**
     * Whether a connection to {@code address} is refused right now. A connection that succeeds
     * is closed at once.
     */
    public static boolean isRefused(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, CONNECT_TIMEOUT_MILLIS);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A port on {@code 127.0.0.1} where nothing listens: one the system picked as free, bound and
     * closed again. Use it for a backend that is down; a server can later be started on it to
     * bring that backend back (retry with {@link Await#success}, in case another socket took it).
     */
    public static int closedPort() {
        try (ServerSocket server = new ServerSocket(0, 1, loopback())) {
            return server.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind 127.0.0.1:0", e);
        }
    }
}
