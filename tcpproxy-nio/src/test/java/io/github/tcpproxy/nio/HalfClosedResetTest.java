package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reset from a side that has already sent its FIN, while the other side is silent: Java's
 * selectors cannot report it (the socket has no interest left, so the JDK takes it out of epoll),
 * so the half-closed timeout is what ends such a connection, as its Javadoc and the README say.
 */
@Timeout(60)
class HalfClosedResetTest {
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

    @Test
    void theHalfClosedTimeoutEndsAConnectionWhoseClientResetAfterItsFin() throws Exception {
        CompletableFuture<Void> finArrived = new CompletableFuture<>();
        CountDownLatch testDone = new CountDownLatch(1);
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    InputStream in = socket.getInputStream();
                    Payloads.readFully(in, HELLO.length);
                    assertThat(in.read()).isEqualTo(-1);
                    finArrived.complete(null);
                    // A backend still working on its answer: it writes nothing for now.
                    testDone.await(30, TimeUnit.SECONDS);
                });
                RunningProxy proxy = Loopback.proxyTo(backend).halfClosedTimeout(Duration.ofMillis(300)).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            try {
                client.getOutputStream().write(HELLO);
                client.shutdownOutput();
                finArrived.get(10, TimeUnit.SECONDS);
                Await.until("the half-closed connection is listed", Duration.ofSeconds(5),
                        () -> proxy.stats().activeConnections() == 1);

                Sockets.reset(client); // the client gives up: a reset after its FIN

                Await.until("the half-closed timeout ends the connection", Duration.ofSeconds(5), () -> proxy.stats().activeConnections() == 0);
            } finally {
                testDone.countDown();
            }
        }
    }

    @Test
    void theHalfClosedTimeoutEndsAConnectionWhoseBackendResetAfterItsFin() throws Exception {
        CountDownLatch testDone = new CountDownLatch(1);
        CompletableFuture<Void> reset = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    Payloads.readFully(socket.getInputStream(), HELLO.length);
                    socket.shutdownOutput(); // the backend's FIN
                    testDone.await(30, TimeUnit.SECONDS); // released by the test: then it resets
                    Sockets.reset(socket);
                    reset.complete(null);
                });
                RunningProxy proxy = Loopback.proxyTo(backend).halfClosedTimeout(Duration.ofMillis(300)).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(HELLO);
            assertThat(client.getInputStream().read()).as("the backend's FIN reaches the client").isEqualTo(-1);

            testDone.countDown();
            reset.get(10, TimeUnit.SECONDS);

            Await.until("the half-closed timeout ends the connection",
                    Duration.ofSeconds(5), () -> proxy.stats().activeConnections() == 0);
        }
    }
}
