package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxyException;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** start() binds or fails naming the address; close() stops accepting, drains, resets the rest, ends its threads. */
@Timeout(60)
class LifecycleTest {

    @Test
    void startOnAPortInUseFailsNamingTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, Sockets.loopback())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            Set<Thread> before = Loopback.proxyThreads();

            assertThatThrownBy(() -> Loopback.proxyTo()
                            .listen(new InetSocketAddress(Sockets.loopback(), taken.getLocalPort()))
                            .backend(Backend.of("127.0.0.1", Sockets.closedPort()))
                            .start())
                    .isInstanceOf(TcpProxyException.class)
                    .hasMessageContaining(address);
            assertThat(newProxyThreads(before)).as("threads left by the failed start").isEmpty();
        }
    }

    @Test
    void closeStopsAcceptingAtOnceAndLetsOpenConnectionsFinish() throws Exception {
        Set<Thread> before = Loopback.proxyThreads();
        try (EchoServer echo = EchoServer.start()) {
            RunningProxy proxy = Loopback.proxyTo(echo).drainTimeout(Duration.ofSeconds(20)).start();
            InetSocketAddress address = proxy.localAddress();
            try (proxy; Socket client = Sockets.connect(address)) {
                EchoServer.assertEchoes(client, Payloads.random(1000, 1));

                CompletableFuture<Void> closing = Async.start("closer", () -> {
                    proxy.close();
                    return null;
                });
                Await.until("close() called", Duration.ofSeconds(5), () -> !proxy.isRunning());
                Await.until("new connections refused", Duration.ofSeconds(2), () -> Sockets.isRefused(address));

                // Draining: the open connection still works, and close() waits for it.
                EchoServer.assertEchoes(client, Payloads.random(100_000, 2));
                assertThat(closing).as("close() while a connection is still open").isNotDone();
                client.shutdownOutput();
                assertThat(client.getInputStream().read()).as("a clean end of stream").isEqualTo(-1);
                closing.get(10, TimeUnit.SECONDS);
            }
            assertThat(newProxyThreads(before)).as("proxy threads alive after close()").isEmpty();
            assertThat(proxy.localAddress()).isEqualTo(address);
            assertThat(proxy.stats().activeConnections()).isZero();

            // Closing again is harmless.
            proxy.close();
            proxy.close(Duration.ZERO);
            assertThat(proxy.isRunning()).isFalse();
            echo.assertNoFailures();
        }
    }

    @Test
    void closeResetsConnectionsStillOpenAfterTheDrainTime() throws Exception {
        Set<Thread> before = Loopback.proxyThreads();
        CompletableFuture<Object> backendRead = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    socket.getOutputStream().write(Payloads.readFully(socket.getInputStream(), 2));
                    backendRead.complete(Sockets.readOutcome(socket));
                })) {
            RunningProxy proxy = Loopback.proxyTo(backend).start();
            try (proxy; Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, new byte[] {'h', 'i'});

                proxy.close(Duration.ofMillis(300));

                assertThat(newProxyThreads(before)).as("proxy threads alive after close()").isEmpty();
                assertThat(Sockets.isRefused(proxy.localAddress())).as("a connect after close()").isTrue();
                assertThat(Sockets.readOutcome(client)).as("the client's read once the drain time is over")
                        .isInstanceOf(SocketException.class)
                        .asString().containsIgnoringCase("reset");
                assertThat(backendRead.get(10, TimeUnit.SECONDS)).as("the backend's read once the drain time is over")
                        .isInstanceOf(SocketException.class)
                        .asString().containsIgnoringCase("reset");
            }
            backend.assertNoFailures();
        }
    }

    private static Set<Thread> newProxyThreads(Set<Thread> before) {
        Set<Thread> now = new HashSet<>(Loopback.proxyThreads());
        now.removeAll(before);
        return now;
    }
}
