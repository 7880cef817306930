package io.github.tcpproxy.testing;

import java.net.Socket;

/**
 * A loopback server that runs a test's own script on every accepted connection, each on a thread
 * of its own: a backend that speaks first, reads slowly, resets, or checks what it received.
 *
 * <pre>{@code
 * CompletableFuture<Payloads.Received> got = new CompletableFuture<>();
 * try (ScriptedServer backend = ScriptedServer.start(socket ->
 *         got.complete(Payloads.drain(socket.getInputStream(), 1 << 20)))) {
 *     ... connect to backend.address() through the proxy ...
 * }
 * }</pre>
 *
 * <p>Report results through a future or a latch the test waits on with a bound; what the script
 * throws is recorded ({@link #failures()}). See {@link TestServer} for the rest.
 */
public final class ScriptedServer extends TestServer {
    /** What to do with one accepted connection; the socket is closed when it returns. */
    @FunctionalInterface
    public interface Handler {
        /** Serves one connection. Runs on the connection's own thread. */
        void handle(Socket socket) throws Exception;
    }

    private final Handler handler;

    private ScriptedServer(int port, int backlog, Handler handler) {
        super("scripted-server", port, backlog);
        this.handler = handler;
    }

    /** Starts a server on {@code 127.0.0.1}, port 0, that runs {@code handler} per connection. */
    public static ScriptedServer start(Handler handler) {
        return start(0, DEFAULT_BACKLOG, handler);
    }

    /**
     * Starts a server on {@code 127.0.0.1:port} with this accept backlog.
     *
     * @throws java.io.UncheckedIOException if the port cannot be bound
     */
    public static ScriptedServer start(int port, int backlog, Handler handler) {
        if (handler == null) {
            throw new IllegalArgumentException("handler must not be null");
        }
        ScriptedServer server = new ScriptedServer(port, backlog, handler);
        server.startAccepting();
        return server;
    }

    @Override
    protected void serve(Socket socket) throws Exception {
        handler.handle(socket);
    }
}
