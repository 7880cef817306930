package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WeightedLeastConnectionsStrategyTest {
    private final WeightedLeastConnectionsStrategy wlc = new WeightedLeastConnectionsStrategy();

    @Test
    void picksTheLeastOverheadPerWeight() {
        Cluster c = Cluster.of(1, 2, 3);
        c.get("A").active(1); // 256 / 1
        c.get("B").active(3); // 768 / 2 = 384
        c.get("C").active(4); // 1024 / 3 = 341
        assertThat(c.pick(wlc)).isEqualTo("A");
        c.get("A").inactive(90); // 346 / 1
        assertThat(c.pick(wlc)).isEqualTo("C");
    }

    @Test
    void equalRatiosGoToTheEarlierBackend() {
        Cluster c = Cluster.of(1, 3);
        c.get("A").active(1); // 256 / 1
        c.get("B").active(3); // 768 / 3 = 256
        assertThat(c.pick(wlc)).isEqualTo("A");
        c.get("A").inactive(1);
        assertThat(c.pick(wlc)).isEqualTo("B");
    }

    @Test
    void idleBackendsFillInWeightOrderOfAppearance() {
        Cluster c = Cluster.of(1, 5);
        assertThat(c.pick(wlc)).as("0/1 vs 0/5: a tie").isEqualTo("A");
        c.get("A").active(1);
        assertThat(c.pick(wlc)).isEqualTo("B");
        c.get("B").active(5);
        assertThat(c.pick(wlc)).as("256/1 vs 1280/5: a tie").isEqualTo("A");
    }

    @Test
    void hugeCountsAndWeightsDoNotOverflow() {
        Cluster c = Cluster.of(Integer.MAX_VALUE, Integer.MAX_VALUE - 1);
        c.get("A").active(Integer.MAX_VALUE).inactive(Integer.MAX_VALUE);
        c.get("B").active(Integer.MAX_VALUE - 1);
        assertThat(c.pick(wlc)).isEqualTo("B");
    }

    @Test
    void skipsIneligibleBackends() {
        Cluster c = Cluster.of(1, 1, 1);
        c.get("A").down();
        c.get("B").active(9);
        c.get("C").weight(0);
        assertThat(c.pick(wlc)).isEqualTo("B");
        assertThat(c.context().exclude("B").pick(wlc)).isEqualTo("-");
    }
}
