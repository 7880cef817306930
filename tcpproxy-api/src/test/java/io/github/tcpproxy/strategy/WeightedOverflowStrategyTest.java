package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WeightedOverflowStrategyTest {
    private final WeightedOverflowStrategy ovf = new WeightedOverflowStrategy();

    @Test
    void fillsTheHighestWeightUpToItsWeightThenOverflows() {
        Cluster c = Cluster.of(2, 3);
        assertThat(c.pick(ovf)).isEqualTo("B");
        c.get("B").active(3);
        assertThat(c.pick(ovf)).as("active == weight still takes").isEqualTo("B");
        c.get("B").active(4);
        assertThat(c.pick(ovf)).isEqualTo("A");
        c.get("A").active(3);
        assertThat(c.pick(ovf)).as("every backend past its weight").isEqualTo("-");
    }

    @Test
    void inactiveConnectionsDoNotCount() {
        Cluster c = Cluster.of(2, 3);
        c.get("B").active(3).inactive(100);
        assertThat(c.pick(ovf)).isEqualTo("B");
    }

    @Test
    void skipsIneligibleBackendsAndBreaksTiesToTheEarlier() {
        Cluster c = Cluster.of(3, 5, 3, 0);
        c.get("B").down();
        assertThat(c.pick(ovf)).isEqualTo("A");
        assertThat(c.context().exclude("A").pick(ovf)).isEqualTo("C");
    }
}
