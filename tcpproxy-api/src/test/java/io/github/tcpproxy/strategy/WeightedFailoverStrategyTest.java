package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WeightedFailoverStrategyTest {
    private final WeightedFailoverStrategy fo = new WeightedFailoverStrategy();

    @Test
    void everythingGoesToTheHighestWeightWhateverItsLoad() {
        Cluster c = Cluster.of(10, 100, 50);
        c.get("B").active(1000);
        assertThat(c.picks(fo, 3)).isEqualTo("B B B");
    }

    @Test
    void failsOverInWeightOrder() {
        Cluster c = Cluster.of(10, 100, 50);
        c.get("B").down();
        assertThat(c.pick(fo)).isEqualTo("C");
        assertThat(c.context().exclude("C").pick(fo)).isEqualTo("A");
        c.get("C").maxConnections(1).active(1);
        assertThat(c.pick(fo)).isEqualTo("A");
        c.get("A").weight(0);
        assertThat(c.pick(fo)).isEqualTo("-");
        c.get("B").up();
        assertThat(c.pick(fo)).as("the primary takes over again").isEqualTo("B");
    }

    @Test
    void equalWeightsGoToTheEarlierBackend() {
        Cluster c = Cluster.of(5, 7, 7);
        assertThat(c.pick(fo)).isEqualTo("B");
    }
}
