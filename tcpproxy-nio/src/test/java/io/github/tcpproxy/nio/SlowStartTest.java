package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.HealthCheck;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
     * A ramp made of weights could not lower a weight of 1 (the default): the backend took its
     * full share at once. A backend ramping over ten minutes takes almost none of the picks in
     * its first seconds, whatever the strategy, and its picks go to the others.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"round-robin", "weighted-round-robin", "least-connections", "random"})
    void aBackendOfWeightOneIsRampedToo(String strategy) throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n");
                RunningProxy proxy = Loopback.proxyTo(a).strategy(strategy).slowStart(Duration.ofMinutes(10))
                        .start()) {
            proxy.addBackend(b.backend());

            Map<String, Integer> split = Greetings.split(proxy, 40);
            // Expected about 0 (a share under 1 % in the first few seconds); 20 without the ramp.
            assertThat(split.getOrDefault("b", 0)).as("served by the ramping backend: %s", split).isLessThan(8);
            assertThat(proxy.backends().get(1).weight()).isEqualTo(1);
            a.assertNoFailures();
        }
    }

    /**
     * A hash strategy without fallback has no other backend for a client whose hash names a
     * ramping one: that client is still served by it, not refused. Both backends ramp (added
     * after the start, the first one removed), so whichever the loopback clients hash to ramps.
     */
    @Test
    void aClientHashedToARampingBackendIsStillServedByIt() throws Exception {
        try (EchoServer first = EchoServer.start("f\n");
                EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n");
                RunningProxy proxy = Loopback.proxyTo(first).strategy("source-hash")
                        .slowStart(Duration.ofMinutes(10)).start()) {
            proxy.addBackend(a.backend());
            proxy.addBackend(b.backend());
            proxy.removeBackend(first.address());

            Map<String, Integer> split = Greetings.split(proxy, 10);
            assertThat(split).as("every client on its hashed backend").hasSize(1);
            assertThat(split.values()).containsExactly(10);
            assertThat(proxy.stats().noBackendClosures()).isZero();
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
