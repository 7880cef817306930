package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShortestExpectedDelayStrategyTest {
    private final ShortestExpectedDelayStrategy sed = new ShortestExpectedDelayStrategy();

    @Test
    void picksTheLeastActivePlusOnePerWeight() {
        Cluster c = Cluster.of(1, 3);
        // A: (0 + 1) / 1 = 1; B: (1 + 1) / 3 = 0.67
        c.get("B").active(1);
        assertThat(c.pick(sed)).isEqualTo("B");
        // B: (2 + 1) / 3 = 1: a tie, the earlier wins
        c.get("B").active(2);
        assertThat(c.pick(sed)).isEqualTo("A");
    }

    @Test
    void inactiveConnectionsDoNotCount() {
        Cluster c = Cluster.of(1, 3);
        c.get("B").active(1).inactive(1000);
        assertThat(c.pick(sed)).isEqualTo("B");
    }

    @Test
    void differsFromWlcOnIdleBackends() {
        // wlc sees 0/1 and 0/5 as a tie and takes A; sed sees 1/1 against 1/5 and takes B.
        Cluster c = Cluster.of(1, 5);
        assertThat(c.pick(sed)).isEqualTo("B");
        assertThat(c.pick(new WeightedLeastConnectionsStrategy())).isEqualTo("A");
    }

    @Test
    void skipsIneligibleBackends() {
        Cluster c = Cluster.of(1, 5, 0);
        c.get("B").down();
        assertThat(c.pick(sed)).isEqualTo("A");
        c.get("A").maxConnections(1).active(1);
        assertThat(c.pick(sed)).isEqualTo("-");
    }
}
