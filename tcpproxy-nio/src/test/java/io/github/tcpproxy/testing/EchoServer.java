package io.github.tcpproxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A loopback echo server, a thread per connection: sends back every byte it reads, and on end of
 * stream half-closes its side (so the client reads -1 after the last echoed byte). It can greet
 * first, for example with its name, so that a client knows which backend served it. Counts the
 * connections it accepted ({@link #connections()}).
 *
 * <pre>{@code
 * try (EchoServer echo = EchoServer.start();
 *      RunningProxy proxy = TcpProxy.builder().backend(echo.backend()).start();
 *      Socket client = Sockets.connect(proxy.localAddress())) {
 *     EchoServer.assertEchoes(client, Payloads.random(4096, 1));
 * }
 * }</pre>
 */
public final class EchoServer extends TestServer {
    private final byte[] greeting;

    private EchoServer(int port, int backlog, String greeting) {
        super("echo-server", port, backlog);
        this.greeting = greeting == null ? new byte[0] : greeting.getBytes(StandardCharsets.UTF_8);
    }

    /** Starts an echo server on {@code 127.0.0.1}, port 0. */
    public static EchoServer start() {
        return start(0, DEFAULT_BACKLOG, null);
    }

    /** Starts an echo server on port 0 that first sends {@code greeting} (UTF-8) on each connection. */
    public static EchoServer start(String greeting) {
        return start(0, DEFAULT_BACKLOG, greeting);
    }

    /**
     * Starts an echo server on {@code 127.0.0.1:port} with this accept backlog.
     *
     * @param port 0 for a free port, or a port that was just released (to bring a backend back)
     * @param backlog raise it above the number of connections a test opens at once
     * @param greeting sent first on each connection, or null for none
     * @throws java.io.UncheckedIOException if the port cannot be bound
     */
    public static EchoServer start(int port, int backlog, String greeting) {
        EchoServer server = new EchoServer(port, backlog, greeting);
        server.startAccepting();
        return server;
    }

    @Override
    protected void serve(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        if (greeting.length > 0) {
            out.write(greeting);
            out.flush();
        }
        byte[] buf = new byte[16 * 1024];
        for (int r; (r = in.read(buf)) >= 0; ) {
            out.write(buf, 0, r);
            out.flush();
        }
        socket.shutdownOutput();
    }

    /**
     * Writes {@code payload} to an echo connection and reads as many bytes back.
     *
     * @throws AssertionError if what came back differs
     * @throws IOException if the connection fails or ends early
     */
    public static void assertEchoes(Socket socket, byte[] payload) throws IOException {
        socket.getOutputStream().write(payload);
        socket.getOutputStream().flush();
        byte[] back = Payloads.readFully(socket.getInputStream(), payload.length);
        if (!Arrays.equals(payload, back)) {
            throw new AssertionError("echo of " + payload.length + " bytes differs: sent "
                    + Payloads.sha256(payload) + ", got back " + Payloads.sha256(back));
        }
    }
}
