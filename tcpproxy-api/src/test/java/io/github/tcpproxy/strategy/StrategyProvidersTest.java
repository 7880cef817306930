package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.spi.Strategies;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every built-in strategy is found through ServiceLoader by its name and its IPVS alias. */
class StrategyProvidersTest {

    static Stream<Arguments> builtIns() {
        return Stream.of(
                Arguments.of("round-robin", "rr", RoundRobinStrategy.class, List.of()),
                Arguments.of("weighted-round-robin", "wrr", WeightedRoundRobinStrategy.class, List.of()),
                Arguments.of("least-connections", "lc", LeastConnectionsStrategy.class, List.of()),
                Arguments.of("weighted-least-connections", "wlc", WeightedLeastConnectionsStrategy.class, List.of()),
                Arguments.of("shortest-expected-delay", "sed", ShortestExpectedDelayStrategy.class, List.of()),
                Arguments.of("never-queue", "nq", NeverQueueStrategy.class, List.of()),
                Arguments.of("locality-least-connections", "lblc", LocalityLeastConnectionsStrategy.class,
                        List.of("expire=60")),
                Arguments.of("locality-least-connections-replicated", "lblcr",
                        LocalityLeastConnectionsReplicatedStrategy.class, List.of("expire=60", "shrink=30")),
                Arguments.of("destination-hash", "dh", DestinationHashStrategy.class,
                        List.of("table-bits=10", "fallback=true")),
                Arguments.of("source-hash", "sh", SourceHashStrategy.class,
                        List.of("port=true", "fallback=true", "table-bits=12")),
                Arguments.of("maglev", "mh", MaglevStrategy.class,
                        List.of("table-size=65537", "port=true", "fallback=true")),
                Arguments.of("weighted-failover", "fo", WeightedFailoverStrategy.class, List.of()),
                Arguments.of("weighted-overflow", "ovf", WeightedOverflowStrategy.class, List.of()),
                Arguments.of("weighted-random-two", "twos", WeightedRandomTwoStrategy.class, List.of("seed=1")),
                Arguments.of("random", null, RandomStrategy.class, List.of("seed=1")),
                Arguments.of("power-of-two", "p2c", PowerOfTwoChoicesStrategy.class, List.of("seed=1")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("builtIns")
    void isFoundByNameAndAlias(String name, String alias, Class<? extends Strategy> type, List<String> options) {
        assertThat(Strategies.names()).contains(name);
        assertThat(Strategies.create(name)).isInstanceOf(type);
        assertThat(Strategies.create(name.toUpperCase(java.util.Locale.ROOT))).isInstanceOf(type);
        StrategyProvider p = Strategies.provider(name);
        assertThat(p.name()).isEqualTo(name).matches("[a-z]+(-[a-z0-9]+)*");
        assertThat(p.description()).isNotBlank().doesNotContain("\n");
        if (alias != null) {
            assertThat(Strategies.names()).contains(alias);
            assertThat(p.aliases()).containsExactly(alias);
            assertThat(Strategies.create(alias)).isInstanceOf(type);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("builtIns")
    void takesItsOptionsAndPicksABackend(String name, String alias, Class<? extends Strategy> type, List<String> options) {
        String spec = options.isEmpty() ? name : name + "," + String.join(",", options);
        Strategy s = Strategies.create(spec);
        assertThat(s).isInstanceOf(type);
        Cluster c = Cluster.of(1, 2, 3);
        assertThat(c.pick(s)).isIn("A", "B", "C");
        c.get("A").weight(0);
        c.get("B").weight(0);
        c.get("C").weight(0);
        assertThat(c.pick(s)).as("nothing available").isEqualTo("-");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("builtIns")
    void rejectsAnUnknownOptionNamingIt(String name, String alias, Class<? extends Strategy> type, List<String> options) {
        assertThatThrownBy(() -> Strategies.create(name + ",bogus-option=1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bogus-option")
                .hasMessageContaining(name);
    }

    @Test
    void everyBuiltInIsRegisteredExactlyOnce() {
        List<String> found = Strategies.providers().stream()
                .filter(p -> p.getClass().getPackageName().equals("io.github.tcpproxy.strategy"))
                .map(StrategyProvider::name).toList();
        assertThat(found).hasSize(16).doesNotHaveDuplicates();
        assertThat(found).containsExactlyInAnyOrderElementsOf(
                builtIns().map(a -> (String) a.get()[0]).toList());
        assertThat(Strategies.names()).containsAll(Set.of("rr", "wrr", "lc", "wlc", "sed", "nq", "lblc",
                "lblcr", "dh", "sh", "mh", "fo", "ovf", "twos", "p2c"));
    }

    @Test
    void badOptionValuesAreNamed() {
        assertThatThrownBy(() -> Strategies.create("sh,port=maybe"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port").hasMessageContaining("maybe");
        assertThatThrownBy(() -> Strategies.create("lblc,expire=0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expire");
        assertThatThrownBy(() -> Strategies.create("dh,table-bits=30"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table-bits");
        assertThatThrownBy(() -> Strategies.create("p2c,seed=x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seed");
        assertThatThrownBy(() -> Strategies.create("wlc", Map.of("fast", "yes")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fast")
                .hasMessageContaining("takes none");
    }
}
