package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Blackhole;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Backends that cannot be reached: other backends are tried, and a client nobody can serve is closed. */
@Timeout(60)
class BackendFailureTest {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final int ATTEMPTS = 3;

    @Test
    void closesTheClientWhenEveryBackendIsDownAndServesOnceOneIsBack() throws Exception {
        int downA = Sockets.closedPort();
        int downB = Sockets.closedPort();
        Duration bound = CONNECT_TIMEOUT.multipliedBy(ATTEMPTS).plusSeconds(5);
        try (RunningProxy proxy = Loopback.proxyTo()
                .backends(Backend.of("127.0.0.1", downA), Backend.of("127.0.0.1", downB))
                .connectTimeout(CONNECT_TIMEOUT)
                .connectAttempts(ATTEMPTS)
                .start()) {
            try (Socket client = Sockets.connect(proxy.localAddress(), bound)) {
                long start = System.nanoTime();
                Object outcome = Sockets.readOutcome(client);
                Duration took = Duration.ofNanos(System.nanoTime() - start);

                assertThat(outcome).as("the client's read when no backend can be reached")
                        .isNotInstanceOf(SocketTimeoutException.class)
                        .satisfiesAnyOf(
                                o -> assertThat(o).isEqualTo(-1),
                                o -> assertThat(o).isInstanceOf(SocketException.class));
                assertThat(took).as("time until the client was closed").isLessThan(bound);
            }
            ProxyStats stats = Await.until("the client is counted as not served", Duration.ofSeconds(5),
                    proxy::stats, s -> s.noBackendClosures() == 1 && s.activeConnections() == 0);
            assertThat(stats.connectFailures()).as("failed connects: each backend once")
                    .isBetween(2L, (long) ATTEMPTS);

            // The backend comes back on its port: the next client is served.
            try (EchoServer back = Await.success("127.0.0.1:" + downA + " bound again", Duration.ofSeconds(10),
                        () -> EchoServer.start(downA, 50, null));
                    Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, Payloads.random(10_000, 7));
                assertThat(back.connections()).isEqualTo(1);
                back.assertNoFailures();
            }
        }
    }

    @Test
    void closesTheClientWhenTheOnlyBackendDoesNotAnswerWithinTheConnectTimeout() throws Exception {
        Duration connectTimeout = Duration.ofMillis(500);
        Duration bound = connectTimeout.multipliedBy(ATTEMPTS).plusSeconds(5);
        try (Blackhole hole = Blackhole.start();
                RunningProxy proxy = Loopback.proxyTo()
                        .backend(Backend.of(hole.address()))
                        .connectTimeout(connectTimeout)
                        .connectAttempts(ATTEMPTS)
                        .start();
                Socket client = Sockets.connect(proxy.localAddress(), bound)) {
            long start = System.nanoTime();
            Object outcome = Sockets.readOutcome(client);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(outcome).as("the client's read when the backend's connect times out")
                    .isNotInstanceOf(SocketTimeoutException.class)
                    .satisfiesAnyOf(
                            o -> assertThat(o).isEqualTo(-1),
                            o -> assertThat(o).isInstanceOf(SocketException.class));
            assertThat(took).as("time until the client was closed").isLessThan(bound);
            ProxyStats stats = Await.until("the client is counted as not served", Duration.ofSeconds(5),
                    proxy::stats, s -> s.noBackendClosures() == 1 && s.activeConnections() == 0);
            assertThat(stats.connectFailures()).as("timed-out connects").isBetween(1L, (long) ATTEMPTS);
        }
    }

    @Test
    void triesAnotherBackendWhenAConnectTimesOut() throws Exception {
        try (Blackhole hole = Blackhole.start();
                EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo()
                        .backend(Backend.of(hole.address()))
                        .backend(echo.backend())
                        .connectTimeout(Duration.ofMillis(300))
                        .connectAttempts(ATTEMPTS)
                        .start()) {
            for (int i = 0; i < 4; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    EchoServer.assertEchoes(client, Payloads.random(1000, i));
                }
            }

            assertThat(echo.connections()).isEqualTo(4);
            ProxyStats stats = Await.until("every client's connection ended", Duration.ofSeconds(5),
                    proxy::stats, s -> s.activeConnections() == 0);
            assertThat(stats.connectFailures()).as("timed-out connects to the black hole").isPositive();
            assertThat(stats.noBackendClosures()).isZero();
            echo.assertNoFailures();
        }
    }

    @Test
    void servesEveryClientWhenOneOfThreeBackendsIsDown() throws Exception {
        int clients = 60;
        try (EchoServer first = EchoServer.start();
                EchoServer third = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo()
                        .backend(first.backend())
                        .backend(Backend.of("127.0.0.1", Sockets.closedPort()))
                        .backend(third.backend())
                        .connectTimeout(CONNECT_TIMEOUT)
                        .connectAttempts(ATTEMPTS)
                        .start()) {
            for (int i = 0; i < clients; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    EchoServer.assertEchoes(client, Payloads.random(1000, i));
                }
            }

            assertThat(first.connections() + third.connections()).isEqualTo(clients);
            assertThat(first.connections()).isPositive();
            assertThat(third.connections()).isPositive();
            ProxyStats stats = Await.until("every client's connection ended", Duration.ofSeconds(5),
                    proxy::stats, s -> s.activeConnections() == 0);
            assertThat(stats.totalConnections()).isEqualTo(clients);
            assertThat(stats.noBackendClosures()).isZero();
            assertThat(stats.connectFailures()).as("connects to the backend that is down").isPositive();
            first.assertNoFailures();
            third.assertNoFailures();
        }
    }
}
