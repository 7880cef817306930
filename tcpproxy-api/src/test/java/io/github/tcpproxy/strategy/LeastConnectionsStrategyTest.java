package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LeastConnectionsStrategyTest {
    private final LeastConnectionsStrategy lc = new LeastConnectionsStrategy();

    @Test
    void picksTheLeastOverheadWhateverTheWeight() {
        Cluster c = Cluster.of(1, 10, 1);
        c.get("A").active(2);
        c.get("B").active(3);
        c.get("C").active(1).inactive(200);
        assertThat(c.pick(lc)).isEqualTo("C");
    }

    @Test
    void anActiveConnectionCounts256Inactive() {
        Cluster c = Cluster.of(1, 1);
        c.get("A").active(1);
        c.get("B").inactive(255);
        assertThat(c.pick(lc)).isEqualTo("B");
        c.get("B").inactive(256);
        assertThat(c.pick(lc)).as("tie goes to the earlier backend").isEqualTo("A");
        c.get("B").inactive(257);
        assertThat(c.pick(lc)).isEqualTo("A");
    }

    @Test
    void skipsDrainedDownFullAndExcludedBackends() {
        Cluster c = Cluster.of(0, 1, 1, 1, 1);
        c.get("B").down();
        c.get("C").maxConnections(2).active(1).inactive(1);
        c.get("E").active(5);
        assertThat(c.pick(lc)).isEqualTo("D");
        assertThat(c.context().exclude("D").pick(lc)).isEqualTo("E");
        c.get("E").weight(0);
        assertThat(c.context().exclude("D").pick(lc)).isEqualTo("-");
    }

    @Test
    void noBackendsGiveNone() {
        assertThat(Cluster.of().pick(lc)).isEqualTo("-");
    }
}
