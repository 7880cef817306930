package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.spi.Strategies;
import io.github.tcpproxy.spi.StrategyProvider;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every built-in strategy behind a real proxy with three backends of weights 1, 2 and 3 (a, b,
 * c), 300 clients one after the other, and the split checked against what the strategy's rule
 * implies. Each client ends before the next starts, and the test waits until the proxy counts
 * no connection either, so every choice is made with all backends idle: the least-connection
 * family then sees only ties, which go to the earlier backend as in IPVS.
 */
@Timeout(300)
class StrategySplitTest {
    private static final int CLIENTS = 300;
    private static final int[] WEIGHTS = {1, 2, 3};
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static EchoServer a;
    private static EchoServer b;
    private static EchoServer c;

    /** What a split must look like. */
    private interface Rule {
        void check(Map<String, Integer> split);
    }

    /** Exactly these counts. */
    private static Rule exactly(int a, int b, int c) {
        Map<String, Integer> expected = new TreeMap<>();
        put(expected, "a", a);
        put(expected, "b", b);
        put(expected, "c", c);
        return split -> assertThat(split).isEqualTo(expected);
    }

    /** Every client on one backend, whichever (a static hash of one address). */
    private static Rule allOnOne() {
        return split -> assertThat(split).hasSize(1).containsValue(CLIENTS);
    }

    /**
     * Every backend used, each near its share: within 30 % of the expected count plus 10
     * clients, loose enough for any seed, tight enough to tell 1:2:3 from 1:1:1.
     */
    private static Rule near(double a, double b, double c) {
        double sum = a + b + c;
        return split -> {
            assertThat(split).containsOnlyKeys("a", "b", "c");
            double[] shares = {a, b, c};
            String[] names = {"a", "b", "c"};
            for (int i = 0; i < 3; i++) {
                double expected = CLIENTS * shares[i] / sum;
                assertThat((double) split.get(names[i])).as("clients on %s of %s", names[i], split)
                        .isBetween(expected * 0.7 - 10, expected * 1.3 + 10);
            }
        };
    }

    private static void put(Map<String, Integer> map, String key, int count) {
        if (count > 0) {
            map.put(key, count);
        }
    }

    /** The strategy spec, and the rule its split must follow. */
    static Stream<org.junit.jupiter.params.provider.Arguments> strategies() {
        return Stream.of(
                // rr ignores weights: strictly in turn.
                split("round-robin", exactly(100, 100, 100)),
                // wrr: exactly proportional, 1:2:3 of 300.
                split("weighted-round-robin", exactly(50, 100, 150)),
                // lc, all idle: every backend ties at 0, the first wins.
                split("least-connections", exactly(300, 0, 0)),
                // wlc, all idle: 0/1 = 0/2 = 0/3, a tie, so the first wins (IPVS compares with >).
                split("weighted-least-connections", exactly(300, 0, 0)),
                // sed: (active + 1) / weight is least for the heaviest, 1/3 < 1/2 < 1/1.
                split("shortest-expected-delay", exactly(0, 0, 300)),
                // nq: the first backend with no active connection, always a here.
                split("never-queue", exactly(300, 0, 0)),
                // lblc/lblcr: one listen address, one entry, first picked by wlc (a) and kept
                // while it is not overloaded, which it never is with one connection at a time.
                split("locality-least-connections", exactly(300, 0, 0)),
                split("locality-least-connections-replicated", exactly(300, 0, 0)),
                // Static hashes of one address (the listen address for dh, 127.0.0.1 for sh/mh).
                split("destination-hash", allOnOne()),
                split("source-hash", allOnOne()),
                split("maglev", allOnOne()),
                // With the client port in the hash, the clients spread by the buckets' weights.
                split("source-hash,port=true", near(1, 2, 3)),
                split("maglev,port=true", near(1, 2, 3)),
                // fo: the heaviest available; ovf: the heaviest whose active count <= its weight.
                split("weighted-failover", exactly(0, 0, 300)),
                split("weighted-overflow", exactly(0, 0, 300)),
                // twos: two weighted draws, the first wins the (all idle) tie: weighted random.
                split("weighted-random-two,seed=42", near(1, 2, 3)),
                // random and p2c ignore weights; p2c's tie (all idle) goes to its first draw.
                split("random,seed=42", near(1, 1, 1)),
                split("power-of-two,seed=42", near(1, 1, 1)));
    }

    private static org.junit.jupiter.params.provider.Arguments split(String spec, Rule rule) {
        return org.junit.jupiter.params.provider.Arguments.of(spec, rule);
    }

    @BeforeAll
    static void startBackends() {
        a = EchoServer.start("a\n");
        b = EchoServer.start("b\n");
        c = EchoServer.start("c\n");
    }

    @AfterAll
    static void stopBackends() {
        for (EchoServer s : new EchoServer[] {a, b, c}) {
            if (s != null) {
                s.close();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void splitsSequentialClientsAsItsRuleSays(String spec, Rule rule) throws Exception {
        String name = spec.split(",")[0];
        Assumptions.assumeTrue(Strategies.names().contains(name), "strategy " + name + " is not registered (yet)");
        try (RunningProxy proxy = proxy(spec)) {
            Map<String, Integer> split = new TreeMap<>();
            for (int i = 0; i < CLIENTS; i++) {
                split.merge(Greetings.serve(proxy), 1, Integer::sum);
                awaitIdle(proxy);
            }

            rule.check(split);
            // The proxy's own count agrees with where the greetings came from.
            assertThat(proxy.backends()).extracting(BackendStatus::totalConnections).containsExactly(
                    (long) split.getOrDefault("a", 0), (long) split.getOrDefault("b", 0),
                    (long) split.getOrDefault("c", 0));
        }
        a.assertNoFailures();
        b.assertNoFailures();
        c.assertNoFailures();
    }

    /** A strategy added to the built-ins without a case here fails, instead of going untested. */
    @Test
    void everyBuiltInStrategyHasASplitCase() {
        Set<String> covered = strategies().map(args -> ((String) args.get()[0]).split(",")[0])
                .collect(Collectors.toSet());
        List<String> builtIn = Strategies.providers().stream()
                .filter(p -> p.getClass().getName().startsWith("io.github.tcpproxy.strategy."))
                .map(StrategyProvider::name)
                .toList();

        assertThat(covered).containsAll(builtIn);
    }

    /**
     * The source hashes over many client addresses (127.0.0.2 and up: all of 127/8 is loopback
     * on Linux): each address keeps its backend, and the addresses spread over all three.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"source-hash", "maglev"})
    void eachClientAddressSticksToOneBackendAndTheAddressesSpread(String spec) throws Exception {
        Assumptions.assumeTrue(Strategies.names().contains(spec), "strategy " + spec + " is not registered (yet)");
        Assumptions.assumeTrue(canBind("127.0.0.2"), "127.0.0.2 is not a local address here");
        try (RunningProxy proxy = proxy(spec)) {
            Map<String, String> backendOf = new TreeMap<>();
            Set<String> used = new HashSet<>();
            for (int host = 2; host < 102; host++) {
                String client = "127.0.0." + host;
                for (int round = 0; round < 2; round++) {
                    String served = serveFrom(proxy, client);
                    String before = backendOf.putIfAbsent(client, served);
                    assertThat(served).as("client %s, round %d", client, round).isEqualTo(before == null ? served : before);
                    used.add(served);
                    awaitIdle(proxy);
                }
            }

            assertThat(used).as("backends reached by 100 client addresses").containsExactlyInAnyOrder("a", "b", "c");
        }
    }

    private static RunningProxy proxy(String spec) {
        return Loopback.proxyTo()
                .backend(a.backend().withWeight(WEIGHTS[0]))
                .backend(b.backend().withWeight(WEIGHTS[1]))
                .backend(c.backend().withWeight(WEIGHTS[2]))
                .strategy(spec)
                .start();
    }

    /** Waits until the proxy counts no connection on any backend: the last client is over there too. */
    private static void awaitIdle(RunningProxy proxy) {
        Await.until("no connection counted on any backend", WAIT, () -> proxy.backends().stream()
                .allMatch(s -> s.activeConnections() + s.inactiveConnections() == 0));
    }

    /** {@link Greetings#serve} from a client socket bound to {@code host}. */
    private static String serveFrom(RunningProxy proxy, String host) throws IOException {
        try (Socket client = new Socket()) {
            client.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            client.connect(proxy.localAddress(), 5_000);
            client.setSoTimeout((int) Sockets.READ_TIMEOUT.toMillis());
            String name = Greetings.read(client);
            client.shutdownOutput();
            assertThat(Payloads.readToEof(client.getInputStream(), 0)).isEmpty();
            return name;
        }
    }

    private static boolean canBind(String host) {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
