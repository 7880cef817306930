package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NeverQueueStrategyTest {
    private final NeverQueueStrategy nq = new NeverQueueStrategy();

    @Test
    void takesTheFirstIdleBackendEvenIfAnotherLooksBetter() {
        Cluster c = Cluster.of(1, 2, 10);
        c.get("A").active(2);
        // B is the first with no active connection; sed would have chosen C (1/10).
        assertThat(c.pick(nq)).isEqualTo("B");
        assertThat(c.pick(new ShortestExpectedDelayStrategy())).isEqualTo("C");
    }

    @Test
    void inactiveConnectionsDoNotMakeABackendBusy() {
        Cluster c = Cluster.of(1, 1);
        c.get("A").active(1);
        c.get("B").inactive(7);
        assertThat(c.pick(nq)).isEqualTo("B");
    }

    @Test
    void whenAllAreBusyFallsBackToShortestExpectedDelay() {
        Cluster c = Cluster.of(1, 3, 2);
        c.get("A").active(1); // 2 / 1
        c.get("B").active(4); // 5 / 3 = 1.67
        c.get("C").active(2); // 3 / 2 = 1.5
        assertThat(c.pick(nq)).isEqualTo("C");
    }

    @Test
    void anIdleButIneligibleBackendIsSkipped() {
        Cluster c = Cluster.of(1, 1, 0);
        c.get("A").down();
        c.get("B").active(3);
        assertThat(c.pick(nq)).as("C is idle but drained").isEqualTo("B");
        assertThat(c.context().exclude("B").pick(nq)).isEqualTo("-");
    }
}
