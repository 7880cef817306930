package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.spi.BackendView;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalityLeastConnectionsReplicatedStrategyTest {
    private final FakeClock clock = new FakeClock();
    private final LocalityLeastConnectionsReplicatedStrategy lblcr =
            new LocalityLeastConnectionsReplicatedStrategy(Duration.ofHours(24), Duration.ofMinutes(10), clock);

    private List<String> members(Cluster c) {
        return lblcr.members(c.context()).stream().map(b -> ((Cluster.Node) b).name).toList();
    }

    @Test
    void startsWithOneBackendAndSticksToIt() {
        Cluster c = Cluster.of(4, 4, 4);
        c.get("A").active(1);
        assertThat(c.pick(lblcr)).isEqualTo("B");
        c.get("B").active(3);
        assertThat(c.picks(lblcr, 3)).isEqualTo("B B B");
        assertThat(members(c)).containsExactly("B");
    }

    @Test
    void growsWhenTheMembersAreBusyThenBalancesWithinTheSet() {
        Cluster c = Cluster.of(4, 4, 4);
        assertThat(c.pick(lblcr)).isEqualTo("A");
        c.get("A").active(5);
        c.get("B").active(1); // 2 x 1 < 4: A counts as overloaded
        c.get("C").active(3);
        assertThat(c.pick(lblcr)).as("the set grows by the wlc pick over all").isEqualTo("B");
        assertThat(members(c)).containsExactly("A", "B");
        c.get("B").active(6);
        c.get("A").active(2);
        assertThat(c.pick(lblcr)).as("wlc within the set: A").isEqualTo("A");
        assertThat(members(c)).containsExactly("A", "B");
    }

    @Test
    void growsWhenNoMemberIsAvailable() {
        Cluster c = Cluster.of(1, 1, 1);
        assertThat(c.pick(lblcr)).isEqualTo("A");
        c.get("A").down();
        assertThat(c.pick(lblcr)).isEqualTo("B");
        assertThat(members(c)).containsExactly("A", "B");
        c.get("B").weight(0);
        assertThat(c.pick(lblcr)).isEqualTo("C");
        assertThat(members(c)).containsExactly("A", "B", "C");
        c.get("A").up();
        c.get("C").active(1);
        assertThat(c.pick(lblcr)).isEqualTo("A");
    }

    @Test
    void shrinksByTheMostLoadedMemberWhenUnchangedForTheShrinkTime() {
        Cluster c = Cluster.of(1, 1, 1);
        assertThat(c.pick(lblcr)).isEqualTo("A");
        c.get("A").down();
        assertThat(c.pick(lblcr)).isEqualTo("B");
        c.get("B").down();
        assertThat(c.pick(lblcr)).isEqualTo("C");
        c.get("A").up().active(3);
        c.get("B").up().active(5);
        c.get("C").active(1);
        clock.advance(Duration.ofMinutes(9));
        c.pick(lblcr);
        assertThat(members(c)).as("not yet").containsExactly("A", "B", "C");
        clock.advance(Duration.ofMinutes(2));
        assertThat(c.pick(lblcr)).isEqualTo("C");
        assertThat(members(c)).as("B had the most connections").containsExactly("A", "C");
        c.pick(lblcr);
        assertThat(members(c)).as("the removal restarted the timer").containsExactly("A", "C");
        clock.advance(Duration.ofMinutes(11));
        c.pick(lblcr);
        assertThat(members(c)).containsExactly("C");
        clock.advance(Duration.ofMinutes(11));
        c.pick(lblcr);
        assertThat(members(c)).as("never below one").containsExactly("C");
    }

    @Test
    void entriesExpireWhenUnused() {
        Cluster c = Cluster.of(1, 1);
        assertThat(c.pick(lblcr)).isEqualTo("A");
        c.get("A").active(1);
        clock.advance(Duration.ofHours(24).plusSeconds(1));
        assertThat(c.pick(lblcr)).isEqualTo("B");
        assertThat(members(c)).containsExactly("B");
    }

    @Test
    void membersFollowTheBackendList() {
        Cluster c = Cluster.of(1, 1, 1);
        assertThat(c.pick(lblcr)).isEqualTo("A");
        c.get("A").down();
        assertThat(c.pick(lblcr)).isEqualTo("B");
        c.remove("A");
        assertThat(members(c)).containsExactly("B");
        assertThat(c.pick(lblcr)).isEqualTo("B");
        BackendView b = c.backends().get(0);
        assertThat(b.index()).isZero();
    }
}
