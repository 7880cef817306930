package io.github.tcpproxy.examples.embedding;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Embeds a proxy in a program: starts an echo server on a free port, puts a proxy in front of it
 * with {@link TcpProxy#builder()}, sends one line through the proxy, prints the answer and closes
 * everything. Run it with {@code java -cp tcpproxy.jar
 * io.github.tcpproxy.examples.embedding.EmbeddedProxyExample}.
 */
public final class EmbeddedProxyExample {
    private EmbeddedProxyExample() {
    }

    /** Runs the example, printing to standard output. */
    public static void main(String[] args) throws IOException {
        run(System.out);
    }

    /**
     * Runs the example, printing to {@code out}, and returns the answer that came back through
     * the proxy.
     */
    public static String run(PrintStream out) throws IOException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (ServerSocket echoServer = new ServerSocket(0, 50, loopback)) {
            Thread echo = new Thread(() -> serveEcho(echoServer), "echo-server");
            echo.setDaemon(true);
            echo.start();

            // Port 0: the proxy picks a free port; localAddress() tells which one.
            try (RunningProxy proxy = TcpProxy.builder()
                    .listen(new InetSocketAddress(loopback, 0))
                    .backend(Backend.of(new InetSocketAddress(loopback, echoServer.getLocalPort())))
                    .connectTimeout(Duration.ofSeconds(2))
                    .drainTimeout(Duration.ofSeconds(1))
                    .start()) {
                InetSocketAddress where = proxy.localAddress();
                out.println("proxy on " + where.getHostString() + ":" + where.getPort()
                        + " -> echo server on 127.0.0.1:" + echoServer.getLocalPort());

                String answer;
                try (Socket client = new Socket()) {
                    client.connect(proxy.localAddress(), 2000);
                    // A read timeout turns a lost answer into an error instead of a hang.
                    client.setSoTimeout(5000);
                    client.getOutputStream().write("hello through tcpproxy\n".getBytes(StandardCharsets.UTF_8));
                    BufferedReader in = new BufferedReader(
                            new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
                    answer = in.readLine();
                }
                out.println("answer: " + answer);
                // Counters are live: the connection just closed may still count as active.
                out.println("stats: " + proxy.stats());
                return answer;
            }
        }
    }

    /**
     * Echoes every byte back, one thread per connection; ends when the server socket is closed.
     */
    private static void serveEcho(ServerSocket server) {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread t = new Thread(() -> {
                try (socket) {
                    OutputStream o = socket.getOutputStream();
                    socket.getInputStream().transferTo(o);
                } catch (IOException ignored) {
                    // The client went away: nothing to echo to.
                }
            }, "echo-connection");
            t.setDaemon(true);
            t.start();
        }
    }
}
