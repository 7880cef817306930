package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.HealthCheck;
import io.github.tcpproxy.ProxyProtocol;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Blackhole;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import io.github.tcpproxy.testing.TestServer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Passive health (connect failures mark a backend down for a while) and active health (a TCP
 * check every interval), through real loopback sockets: what {@link RunningProxy#backends()}
 * says, which backends clients are sent to, and recovery without a restart.
 *
 * <p>The echo backends here are also reached by health checks, which connect and close at once,
 * so their server-side failures (a greeting written to a closed check) are not asserted on.
 */
@Timeout(60)
class HealthTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Fast checks, so that the tests take a fraction of a second per state change. */
    private static final HealthCheck FAST = new HealthCheck(Duration.ofMillis(100), Duration.ofMillis(500), 2, 2);

    @Test
    void passiveHealthMarksABackendDownAfterMaxFailsAndTriesItAgainAfterTheFailTimeout() throws Exception {
        int port = Sockets.closedPort();
        try (EchoServer a = EchoServer.start("a\n");
                RunningProxy proxy = Loopback.proxyTo(a)
                        .backend(Backend.of(new InetSocketAddress(Sockets.loopback(), port)))
                        .strategy("round-robin")
                        .passiveHealth(2, Duration.ofSeconds(1))
                        .start()) {
            // Round robin sends every other client to the dead backend; each is retried on a.
            for (int i = 0; i < 10 && proxy.backends().get(1).connectFailures() < 2; i++) {
                assertThat(Greetings.serve(proxy)).isEqualTo("a");
            }
            long downSeen = System.nanoTime();
            BackendStatus down = proxy.backends().get(1);
            assertThat(down.connectFailures()).isEqualTo(2);
            assertThat(down.up()).as("down after 2 failures in a row").isFalse();
            assertThat(down.effectiveWeight()).isZero();

            // Within the fail timeout, clients are not even tried on it. Only clients made well
            // inside the 1 s window count, so that a slow machine cannot turn this into a retry.
            int served = 0;
            while (served < 6 && System.nanoTime() - downSeen < TimeUnit.MILLISECONDS.toNanos(400)) {
                assertThat(Greetings.serve(proxy)).isEqualTo("a");
                served++;
            }
            assertThat(proxy.backends().get(1).connectFailures()).as("not tried while down").isEqualTo(2);

            // Back on its port: after the fail timeout it is tried again, and serves.
            try (EchoServer revived = Await.success("the dead backend's port bound again", WAIT,
                    () -> EchoServer.start(port, TestServer.DEFAULT_BACKLOG, "d\n"))) {
                Await.until("a client served by the revived backend", WAIT, () -> serveQuietly(proxy).equals("d"));
                assertThat(proxy.backends().get(1).up()).isTrue();
                assertThat(Greetings.split(proxy, 4)).isEqualTo(Map.of("a", 2, "d", 2));
                revived.assertNoFailures();
            }
            a.assertNoFailures();
        }
    }

    @Test
    void activeChecksMarkAVanishedBackendDownWithoutTrafficAndUpAgainWhenItListens() throws Exception {
        EchoServer b = EchoServer.start("b\n");
        int port = b.port();
        try (EchoServer a = EchoServer.start("a\n");
                RunningProxy proxy = Loopback.proxyTo(a, b).strategy("round-robin").healthCheck(FAST).start()) {
            assertThat(proxy.backends()).extracting(BackendStatus::up).containsExactly(true, true);

            b.close();

            Await.until("b marked down by the checks", WAIT, () -> !proxy.backends().get(1).up());
            assertThat(proxy.backends().get(0).up()).isTrue();
            assertThat(proxy.backends().get(1).totalConnections()).as("no client sent anywhere").isZero();

            // While down, no client is sent to it: not one connect attempt.
            assertThat(Greetings.split(proxy, 6)).isEqualTo(Map.of("a", 6));
            BackendStatus whileDown = proxy.backends().get(1);
            assertThat(whileDown.totalConnections()).isZero();
            assertThat(whileDown.connectFailures()).isZero();
            assertThat(whileDown.effectiveWeight()).isZero();

            try (EchoServer back = Await.success("b's port bound again", WAIT,
                    () -> EchoServer.start(port, TestServer.DEFAULT_BACKLOG, "b\n"))) {
                Await.until("b marked up again", WAIT, () -> proxy.backends().get(1).up());
                assertThat(Greetings.split(proxy, 4)).isEqualTo(Map.of("a", 2, "b", 2));
            }
        } finally {
            b.close();
        }
    }

    @Test
    void withEveryBackendDownByActiveChecksClientsAreClosedPromptlyAndTheProxyRecovers() throws Exception {
        EchoServer a = EchoServer.start("a\n");
        EchoServer b = EchoServer.start("b\n");
        int portA = a.port();
        try (RunningProxy proxy = Loopback.proxyTo(a, b)
                .healthCheck(FAST)
                .connectTimeout(Duration.ofSeconds(30))
                .start()) {
            a.close();
            b.close();
            Await.until("both marked down", WAIT, () -> proxy.backends().stream().noneMatch(BackendStatus::up));

            long noBackendBefore = proxy.stats().noBackendClosures();
            assertClosedPromptly(proxy);
            assertThat(proxy.stats().noBackendClosures()).isEqualTo(noBackendBefore + 1);
            assertThat(proxy.backends()).extracting(BackendStatus::totalConnections).containsOnly(0L);

            try (EchoServer back = Await.success("a's port bound again", WAIT,
                    () -> EchoServer.start(portA, TestServer.DEFAULT_BACKLOG, "a\n"))) {
                Await.until("a marked up again", WAIT, () -> proxy.backends().get(0).up());
                assertThat(Greetings.split(proxy, 3)).isEqualTo(Map.of("a", 3));
            }
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void withEveryBackendDownByPassiveChecksClientsAreClosedPromptlyAndTheProxyRecovers() throws Exception {
        int portA = Sockets.closedPort();
        int portB = Sockets.closedPort();
        try (RunningProxy proxy = Loopback.proxyTo()
                .backend(Backend.of(new InetSocketAddress(Sockets.loopback(), portA)))
                .backend(Backend.of(new InetSocketAddress(Sockets.loopback(), portB)))
                .passiveHealth(1, Duration.ofSeconds(1))
                .connectTimeout(Duration.ofSeconds(30))
                .start()) {
            // The first client tries both, fails on both, and marks both down.
            assertClosedPromptly(proxy);
            assertThat(proxy.backends()).extracting(BackendStatus::up).containsExactly(false, false);
            assertThat(proxy.backends()).extracting(BackendStatus::connectFailures).containsExactly(1L, 1L);

            try (EchoServer back = Await.success("a's port bound again", WAIT,
                    () -> EchoServer.start(portA, TestServer.DEFAULT_BACKLOG, "a\n"))) {
                // Recovers by itself once the fail timeout is over; clients before that are closed.
                Await.until("a client served again", WAIT, () -> serveQuietly(proxy).equals("a"));
                assertThat(proxy.backends().get(0).up()).isTrue();
            }
        }
    }

    @Test
    void aBackendDownByActiveChecksIsNotUsedEvenWhenTheStrategyWouldPickIt() throws Exception {
        int dead = Sockets.closedPort();
        try (EchoServer a = EchoServer.start("a\n");
                // weighted-failover would pick the dead, heavier backend first if it were up.
                RunningProxy proxy = Loopback.proxyTo(a)
                        .backend(Backend.of(new InetSocketAddress(Sockets.loopback(), dead)).withWeight(5))
                        .strategy("weighted-failover")
                        .healthCheck(FAST)
                        .start()) {
            Await.until("the dead backend marked down", WAIT, () -> !proxy.backends().get(1).up());

            assertThat(Greetings.split(proxy, 5)).isEqualTo(Map.of("a", 5));
            assertThat(proxy.backends().get(1).connectFailures()).isZero();
        }
    }

    @Test
    void aBackendWhoseConnectsHangIsMarkedDownByCheckTimeouts() throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                Blackhole hole = Blackhole.start();
                RunningProxy proxy = Loopback.proxyTo(a)
                        .backend(Backend.of(hole.address()))
                        .strategy("round-robin")
                        .healthCheck(new HealthCheck(Duration.ofMillis(100), Duration.ofMillis(200), 1, 2))
                        .connectTimeout(Duration.ofSeconds(30))
                        .start()) {
            Await.until("the black hole marked down", WAIT, () -> !proxy.backends().get(1).up());

            // Were it tried, each client would hang for the 30 s connect timeout.
            assertThat(Greetings.split(proxy, 4)).isEqualTo(Map.of("a", 4));
            assertThat(proxy.backends().get(1).totalConnections()).isZero();
        }
    }

    /** A client the proxy has no backend for: closed at once, long before any timeout. */
    private static void assertClosedPromptly(RunningProxy proxy) throws Exception {
        try (Socket client = Sockets.connect(proxy.localAddress(), Duration.ofSeconds(5))) {
            Object outcome = Sockets.readOutcome(client);
            assertThat(outcome).as("closed within 5 s (the connect timeout is 30 s)")
                    .isNotInstanceOf(SocketTimeoutException.class);
            assertThat(outcome).isEqualTo(-1);
        }
    }

    /** {@link Greetings#serve}, with a failure (a client closed for want of a backend) as "". */
    private static String serveQuietly(RunningProxy proxy) {
        try {
            return Greetings.serve(proxy);
        } catch (Exception e) {
            return "";
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyProtocol.class)
    void checksSendALocalProxyHeaderWhenTheProxySendsTheProtocol(ProxyProtocol version) throws Exception {
        // A backend that requires the header would log every check without one as broken; as
        // HAProxy does by default, checks send a header that names no client (v1 UNKNOWN, v2 LOCAL).
        BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> received.add(socket.getInputStream().readAllBytes()));
                RunningProxy proxy = Loopback.proxyTo(backend).sendProxyProtocol(version).healthCheck(FAST).start()) {
            byte[] first = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(first).as("what a health check sent").isNotNull();
            byte[] expected = switch (version) {
                case OFF -> new byte[0];
                case V1 -> "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);
                case V2 -> HexFormat.of().parseHex("0d0a0d0a000d0a515549540a200000" + "00");
            };
            assertThat(first).isEqualTo(expected);
            assertThat(proxy.backends().get(0).up()).isTrue();
            backend.assertNoFailures();
        }
    }
}
