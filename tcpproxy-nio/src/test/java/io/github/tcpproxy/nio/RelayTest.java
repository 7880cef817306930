package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bytes go through unchanged: big, full-duplex, many at once, server first. */
@Timeout(90)
class RelayTest {
    private static final long BIG = 64L << 20;

    @Test
    void relays64MiBEachWayAtTheSameTime() throws Exception {
        CompletableFuture<Payloads.Received> backendGot = new CompletableFuture<>();
        CompletableFuture<String> backendSent = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    CompletableFuture<String> writer = Async.start("backend-writer", () -> {
                        String sha = Payloads.write(socket.getOutputStream(), 2, BIG);
                        socket.shutdownOutput();
                        return sha;
                    });
                    backendGot.complete(Payloads.drain(socket.getInputStream(), 2 * BIG));
                    backendSent.complete(writer.get(60, TimeUnit.SECONDS));
                });
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            CompletableFuture<String> clientWriter = Async.start("client-writer", () -> {
                String sha = Payloads.write(client.getOutputStream(), 1, BIG);
                client.shutdownOutput();
                return sha;
            });

            Payloads.Received clientGot = Payloads.drain(client.getInputStream(), 2 * BIG);
            String clientSent = clientWriter.get(60, TimeUnit.SECONDS);

            assertThat(clientGot.bytes()).as("bytes backend -> client").isEqualTo(BIG);
            assertThat(clientGot.sha256()).as("SHA-256 backend -> client")
                    .isEqualTo(backendSent.get(60, TimeUnit.SECONDS));
            Payloads.Received got = backendGot.get(60, TimeUnit.SECONDS);
            assertThat(got.bytes()).as("bytes client -> backend").isEqualTo(BIG);
            assertThat(got.sha256()).as("SHA-256 client -> backend").isEqualTo(clientSent);
            backend.assertNoFailures();
        }
    }

    @Test
    void servesAThousandConcurrentSessions() throws Exception {
        int sessions = 1000;
        try (EchoServer echo = EchoServer.start(0, 2 * sessions, null);
                RunningProxy proxy = Loopback.proxyTo(echo).start()) {
            List<Socket> clients = new ArrayList<>();
            ExecutorService readers = Executors.newFixedThreadPool(8);
            try {
                for (int i = 0; i < sessions; i++) {
                    clients.add(Sockets.connect(proxy.localAddress()));
                }
                Await.until("the backend accepted " + sessions + " connections", Duration.ofSeconds(30),
                        () -> echo.connections() == sessions);
                assertThat(proxy.stats().activeConnections()).as("connections open through the proxy")
                        .isEqualTo(sessions);

                // All sessions carry data at once: every payload is written before any echo is
                // read. A few KiB each fit in the socket buffers, so the writes do not block.
                List<byte[]> payloads = new ArrayList<>();
                for (int i = 0; i < sessions; i++) {
                    byte[] payload = Payloads.random(1024 + (i * 37) % 4096, 1000 + i);
                    payloads.add(payload);
                    clients.get(i).getOutputStream().write(payload);
                }
                List<Future<byte[]>> echoes = new ArrayList<>();
                for (int i = 0; i < sessions; i++) {
                    Socket client = clients.get(i);
                    int length = payloads.get(i).length;
                    echoes.add(readers.submit(() -> Payloads.readFully(client.getInputStream(), length)));
                }
                for (int i = 0; i < sessions; i++) {
                    assertThat(echoes.get(i).get(30, TimeUnit.SECONDS)).as("echo of session %d", i)
                            .isEqualTo(payloads.get(i));
                }
            } finally {
                readers.shutdownNow();
                for (Socket client : clients) {
                    client.close();
                }
            }
            Await.until("every session ended", Duration.ofSeconds(30),
                    () -> proxy.stats().activeConnections() == 0);
            assertThat(proxy.stats().totalConnections()).isEqualTo(sessions);
            echo.assertNoFailures();
        }
    }

    @Test
    void relaysWhatTheBackendSaysFirst() throws Exception {
        String greeting = "220 backend ready\r\n";
        try (EchoServer echo = EchoServer.start(greeting);
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            byte[] got = Payloads.readFully(client.getInputStream(),
                    greeting.getBytes(StandardCharsets.UTF_8).length);

            assertThat(new String(got, StandardCharsets.UTF_8)).isEqualTo(greeting);
            EchoServer.assertEchoes(client, "HELO client\r\n".getBytes(StandardCharsets.UTF_8));
            client.shutdownOutput();
            assertThat(client.getInputStream().read()).as("end of stream after the echo").isEqualTo(-1);
            echo.assertNoFailures();
        }
    }
}
