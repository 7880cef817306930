package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reset on one side reaches the other side as a reset, not as a clean end of stream. The
 * sockets' read timeout ({@link Sockets#READ_TIMEOUT}) bounds "promptly": a timeout is a failure.
 */
@Timeout(60)
class ResetTest {
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK = "ok".getBytes(StandardCharsets.US_ASCII);

    @Test
    void clientResetReachesTheBackendAsAReset() throws Exception {
        CompletableFuture<Void> helloArrived = new CompletableFuture<>();
        CompletableFuture<Object> backendRead = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    Payloads.readFully(socket.getInputStream(), HELLO.length);
                    helloArrived.complete(null);
                    backendRead.complete(Sockets.readOutcome(socket));
                });
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(HELLO);
            helloArrived.get(10, TimeUnit.SECONDS);

            Sockets.reset(client);

            assertThat(backendRead.get(20, TimeUnit.SECONDS)).as("the backend's read after the client's reset")
                    .isInstanceOf(SocketException.class)
                    .asString().containsIgnoringCase("reset");
            Await.until("the connection is gone", Duration.ofSeconds(5),
                    () -> proxy.stats().activeConnections() == 0);
            backend.assertNoFailures();
        }
    }

    @Test
    void backendResetReachesTheClientAsAReset() throws Exception {
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    Payloads.readFully(socket.getInputStream(), HELLO.length);
                    socket.getOutputStream().write(OK);
                    // Reset only once the client has read the answer, so nothing is in flight.
                    Payloads.readFully(socket.getInputStream(), OK.length);
                    Sockets.reset(socket);
                });
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(HELLO);
            assertThat(Payloads.readFully(client.getInputStream(), OK.length)).isEqualTo(OK);
            client.getOutputStream().write(OK);

            assertThat(Sockets.readOutcome(client)).as("the client's read after the backend's reset")
                    .isInstanceOf(SocketException.class)
                    .asString().containsIgnoringCase("reset");
            Await.until("the connection is gone", Duration.ofSeconds(5),
                    () -> proxy.stats().activeConnections() == 0);
            backend.assertNoFailures();
        }
    }
}
