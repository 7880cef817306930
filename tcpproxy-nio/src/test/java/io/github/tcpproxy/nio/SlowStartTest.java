package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.HealthCheck;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import io.github.tcpproxy.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Slow start: a backend that comes up gets an effective weight below its weight that grows to
 * it. Only the start and the end of the ramp are asserted, and that it never goes down; its
 * exact shape over time is the engine's business.
 */
@Timeout(60)
class SlowStartTest {
    private static final Duration RAMP = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(15);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"weighted-least-connections", "weighted-round-robin"})
    void anAddedBackendRampsUpToItsWeight(String strategy) throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n");
                RunningProxy proxy = Loopback.proxyTo(a).strategy(strategy).slowStart(RAMP).start()) {
            proxy.addBackend(b.backend().withWeight(10));

            BackendStatus fresh = proxy.backends().get(1);
            assertThat(fresh.weight()).isEqualTo(10);
            assertThat(fresh.effectiveWeight()).as("just added, under a 2 s slow start").isBetween(0, 9);

            List<Integer> seen = new ArrayList<>();
            Await.until("b at its full weight", WAIT, () -> {
                int w = proxy.backends().get(1).effectiveWeight();
                seen.add(w);
                return w == 10;
            });
            assertThat(seen).as("effective weights seen on the way").isSorted();
            // Clients are served all along, by both once b is up to weight.
            Greetings.split(proxy, 20);
            a.assertNoFailures();
            b.assertNoFailures();
        }
    }

    /**
     * The ramp lowers weights in whole steps and cannot lower a weight of 1 (the default): the
     * proxy says so instead of letting the user believe such a backend is ramped.
     */
    @Test
    void aBackendOfWeightOneGetsAWarningThatItCannotBeRamped() throws Exception {
        PrintStream before = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8)); // slf4j-simple writes to System.err
        try (EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n");
                RunningProxy proxy = Loopback.proxyTo(a).strategy("weighted-round-robin").slowStart(RAMP).start()) {
            proxy.addBackend(b.backend().withWeight(10));
            assertThat(err.toString(StandardCharsets.UTF_8)).as("weight 1 at start, weight 10 added")
                    .contains("slow start cannot ramp backend(s) of weight 1 (" + a.backend().name() + ")")
                    .containsOnlyOnce("cannot ramp");
            proxy.addBackend(Backend.of(new InetSocketAddress(Sockets.loopback(), 9)));
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("weight 1 (" + Sockets.loopback().getHostAddress() + ":9)");
        } finally {
            System.setErr(before);
        }
    }

    @Test
    void aBackendBackFromDownRampsUpAgain() throws Exception {
        EchoServer b = EchoServer.start("b\n");
        int port = b.port();
        try (EchoServer a = EchoServer.start("a\n");
                RunningProxy proxy = Loopback.proxyTo(a)
                        .backend(b.backend().withWeight(10))
                        .strategy("weighted-least-connections")
                        .healthCheck(new HealthCheck(Duration.ofMillis(100), Duration.ofMillis(500), 1, 1))
                        .slowStart(RAMP)
                        .start()) {
            Await.until("b at its full weight", WAIT, () -> proxy.backends().get(1).effectiveWeight() == 10);
            b.close();
            Await.until("b down", WAIT, () -> !proxy.backends().get(1).up());
            assertThat(proxy.backends().get(1).effectiveWeight()).isZero();

            try (EchoServer back = Await.success("b's port bound again", WAIT,
                    () -> EchoServer.start(port, TestServer.DEFAULT_BACKLOG, "b\n"))) {
                BackendStatus up = Await.until("b up again", WAIT, () -> proxy.backends().get(1), BackendStatus::up);
                assertThat(up.effectiveWeight()).as("just back, under a 2 s slow start").isBetween(0, 9);
                Await.until("b at its full weight again", WAIT, () -> proxy.backends().get(1).effectiveWeight() == 10);
            }
        } finally {
            b.close();
        }
    }

    @Test
    void withoutSlowStartAnAddedBackendHasItsFullWeightAtOnce() throws Exception {
        try (EchoServer a = EchoServer.start();
                EchoServer b = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(a).strategy("weighted-round-robin").start()) {
            proxy.addBackend(b.backend().withWeight(10));

            assertThat(proxy.backends().get(1).effectiveWeight()).isEqualTo(10);
        }
    }

    /**
     * The backends a proxy starts with are not ramped: slow start is for a backend that comes
     * up while others carry the load (HAProxy: "the slowstart never applies when haproxy
     * starts"); ramping them all at once would only flatten the weights at start-up.
     */
    @Test
    void theBackendsAProxyStartsWithHaveTheirFullWeightAtOnce() throws Exception {
        try (EchoServer a = EchoServer.start();
                EchoServer b = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(a)
                        .backend(b.backend().withWeight(10))
                        .strategy("weighted-round-robin")
                        .slowStart(Duration.ofSeconds(30))
                        .start()) {
            assertThat(proxy.backends()).extracting(BackendStatus::effectiveWeight).containsExactly(1, 10);
        }
    }
}
