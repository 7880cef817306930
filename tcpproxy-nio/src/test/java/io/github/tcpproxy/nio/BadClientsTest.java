package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Clients that misbehave (reset at once, connect and say nothing, vanish halfway) and absurd
 * settings: each bad client costs only its own connection, and nothing is left behind.
 */
@Timeout(60)
class BadClientsTest {
    private static final Duration WITHIN = Duration.ofSeconds(15);

    @Test
    void clientsThatResetAtOnceOrSayNothingLeaveNothingBehind() throws Exception {
        try (EchoServer echo = EchoServer.start(0, 512, null);
                RunningProxy proxy = Loopback.proxyTo(echo).start()) {
            for (int i = 0; i < 100; i++) {
                // Connect and reset at once: the proxy may still be accepting or connecting the backend.
                Socket s = Sockets.connect(proxy.localAddress());
                Sockets.reset(s);
            }
            for (int i = 0; i < 50; i++) {
                // Connect, say nothing, close.
                Sockets.connect(proxy.localAddress()).close();
            }
            for (int i = 0; i < 20; i++) {
                // Send half a request and reset.
                Socket s = Sockets.connect(proxy.localAddress());
                s.getOutputStream().write(Payloads.random(30_000, i));
                Sockets.reset(s);
            }
            ProxyStats stats = Await.until("every bad client's connection ended", WITHIN, proxy::stats,
                    s -> s.activeConnections() == 0 && s.totalConnections() == 170);
            assertThat(stats.bufferedBytes()).isZero();
            assertThat(stats.backends().get(0).activeConnections() + stats.backends().get(0).inactiveConnections())
                    .isZero();
            for (Reactor r : ((NioProxy) proxy).reactors) {
                CompletableFuture<Integer> held = new CompletableFuture<>();
                r.execute(() -> held.complete(r.buffers.outstanding()));
                assertThat(held.get(10, TimeUnit.SECONDS)).isZero();
            }
            try (Socket good = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(good, Payloads.random(100_000, 99));
            }
        }
    }

    @Test
    void absurdSettingsAreRejectedBeforeAnythingStarts() {
        TcpProxy.Builder b = TcpProxy.builder().backend("127.0.0.1", 9);
        assertThatThrownBy(() -> b.reactorThreads(100_000)).hasMessageContaining("reactor threads 100000");
        assertThatThrownBy(() -> b.bufferSize(Integer.MAX_VALUE)).hasMessageContaining("buffer size");
        assertThatThrownBy(() -> b.acceptBacklog(-5)).hasMessageContaining("accept backlog -5");
        assertThatThrownBy(() -> b.maxConnections(Integer.MIN_VALUE)).hasMessageContaining("max connections");
        assertThatThrownBy(() -> b.idleTimeout(Duration.ofNanos(-1))).hasMessageContaining("idle timeout");
        assertThatThrownBy(() -> b.connectTimeout(Duration.ofSeconds(Long.MIN_VALUE))).hasMessageContaining("connect timeout");
        assertThatThrownBy(() -> b.allow("0.0.0.0/0", "::/0", "1.2.3.4/99")).hasMessageContaining("1.2.3.4/99");
        assertThatThrownBy(() -> b.listen(new InetSocketAddress("127.0.0.1", 0)).listen("127.0.0.1:99999"))
                .hasMessageContaining("99999");
        // Huge but valid limits are fine.
        b.maxConnections(Integer.MAX_VALUE).idleTimeout(Duration.ofDays(365_000)).halfClosedTimeout(Duration.ofDays(1));
    }

    @Test
    void aHugeIdleTimeoutDoesNotOverflowIntoAnImmediateClose() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).idleTimeout(Duration.ofDays(365_000)).start();
                Socket client = Sockets.connect(proxy.localAddress(), Duration.ofMillis(300))) {
            assertThat(Sockets.readOutcome(client)).isInstanceOf(SocketTimeoutException.class);
            EchoServer.assertEchoes(client, new byte[] {1, 2, 3});
        }
    }
}
