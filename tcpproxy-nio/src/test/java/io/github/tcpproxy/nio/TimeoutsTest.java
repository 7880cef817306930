package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Idle and half-closed timeouts close only the connection concerned. */
@Timeout(60)
class TimeoutsTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);

    @Test
    void idleConnectionIsClosedAndBusyOneIsNot() throws Exception {
        // Long enough that a busy machine does not stall the busy client's round trips for as long.
        Duration idle = Duration.ofSeconds(1);
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).idleTimeout(idle).start();
                Socket quiet = Sockets.connect(proxy.localAddress());
                Socket busy = Sockets.connect(proxy.localAddress())) {
            long start = System.nanoTime(); // before the quiet client's last byte moved
            EchoServer.assertEchoes(quiet, new byte[] {1});
            EchoServer.assertEchoes(busy, new byte[] {1});
            // busy keeps talking for 3 idle timeouts, a round trip at a time.
            CompletableFuture<Integer> roundTrips = Async.start("busy client", () -> {
                int n = 0;
                try {
                    while (System.nanoTime() - start < idle.multipliedBy(3).toNanos() && n < 100_000) {
                        EchoServer.assertEchoes(busy, new byte[] {(byte) n});
                        n++;
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("after " + n + " round trips", e);
                }
                return n;
            });
            assertThat(quiet.getInputStream().read()).as("the idle client's read").isEqualTo(-1);
            long took = System.nanoTime() - start;
            assertThat(took).as("time until closed").isGreaterThanOrEqualTo(idle.toNanos());
            assertThat(roundTrips.get(20, TimeUnit.SECONDS)).isPositive();
            EchoServer.assertEchoes(busy, Payloads.random(1000, 9));

            ProxyStats stats = proxy.stats();
            assertThat(stats.idleTimeouts()).isEqualTo(1);
            assertThat(stats.activeConnections()).isEqualTo(1);
        }
    }

    @Test
    void clientThatSendsNothingIsClosedByTheIdleTimeout() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).idleTimeout(Duration.ofMillis(300)).start();
                Socket silent = Sockets.connect(proxy.localAddress())) {
            assertThat(silent.getInputStream().read()).isEqualTo(-1);
            Await.until("the connection ended", WITHIN, () -> proxy.stats().activeConnections() == 0);
            assertThat(proxy.stats().idleTimeouts()).isEqualTo(1);
        }
    }

    @Test
    void halfClosedConnectionIsClosedWhenTheOtherWayStaysSilent() throws Exception {
        CountDownLatch testDone = new CountDownLatch(1);
        // The backend reads to the client's FIN, then says nothing and keeps its side open.
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    Payloads.readToEof(socket.getInputStream(), 1 << 20);
                    testDone.await(20, TimeUnit.SECONDS);
                });
                RunningProxy proxy = Loopback.proxyTo(backend)
                        .halfClosedTimeout(Duration.ofMillis(300))
                        .idleTimeout(Duration.ofSeconds(30))
                        .start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(Payloads.random(5000, 3));
            client.shutdownOutput();
            assertThat(client.getInputStream().read()).as("the client's read").isEqualTo(-1);
            ProxyStats stats = Await.until("the connection ended", WITHIN, proxy::stats,
                    s -> s.activeConnections() == 0);
            assertThat(stats.halfClosedTimeouts()).isEqualTo(1);
            assertThat(stats.idleTimeouts()).isZero();
            testDone.countDown();
        }
    }

    @Test
    void withoutTimeoutsAnIdleConnectionStaysOpen() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                Socket client = Sockets.connect(proxy.localAddress(), Duration.ofMillis(500))) {
            assertThat(Sockets.readOutcome(client)).isInstanceOf(SocketTimeoutException.class);
            EchoServer.assertEchoes(client, new byte[] {1, 2, 3});
        }
    }
}
