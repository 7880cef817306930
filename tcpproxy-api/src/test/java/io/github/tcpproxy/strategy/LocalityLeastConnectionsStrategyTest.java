package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LocalityLeastConnectionsStrategyTest {
    private final FakeClock clock = new FakeClock();
    private final LocalityLeastConnectionsStrategy lblc =
            new LocalityLeastConnectionsStrategy(Duration.ofHours(24), clock);

    @Test
    void sticksToTheFirstWlcPickWhileItIsNotOverloaded() {
        Cluster c = Cluster.of(2, 2, 2);
        c.get("A").active(1);
        assertThat(c.pick(lblc)).as("wlc: B and C idle, B earlier").isEqualTo("B");
        c.get("B").active(2); // at its weight, not above: still fine
        assertThat(c.picks(lblc, 3)).isEqualTo("B B B");
        assertThat(c.from("203.0.113.9", 5555).pick(lblc)).as("whatever the client").isEqualTo("B");
    }

    @Test
    void repicksWhenTheBackendHasMoreActiveThanWeightAndAnotherHasLessThanHalf() {
        Cluster c = Cluster.of(4, 4, 4);
        assertThat(c.pick(lblc)).isEqualTo("A");
        c.get("A").active(5); // above its weight 4
        c.get("B").active(2); // 2 x 2 = 4, not below 4
        c.get("C").active(2);
        assertThat(c.pick(lblc)).as("nobody has under half their weight").isEqualTo("A");
        c.get("C").active(1); // 2 x 1 < 4
        assertThat(c.pick(lblc)).as("re-picked by wlc: C has 256/4").isEqualTo("C");
        c.get("A").active(0);
        assertThat(c.pick(lblc)).as("the new choice sticks").isEqualTo("C");
    }

    @Test
    void aLightlyLoadedButIneligibleBackendDoesNotTriggerARepick() {
        Cluster c = Cluster.of(4, 4);
        assertThat(c.pick(lblc)).isEqualTo("A");
        c.get("A").active(5);
        c.get("B").down();
        assertThat(c.pick(lblc)).isEqualTo("A");
    }

    @Test
    void repicksWhenTheBackendIsUnavailable() {
        Cluster c = Cluster.of(1, 1, 1);
        assertThat(c.pick(lblc)).isEqualTo("A");
        c.get("A").down();
        assertThat(c.pick(lblc)).isEqualTo("B");
        c.get("A").up();
        assertThat(c.pick(lblc)).as("no going back while B is fine").isEqualTo("B");
        c.get("B").weight(0);
        assertThat(c.pick(lblc)).isEqualTo("A");
        assertThat(c.context().exclude("A").pick(lblc)).as("a failed connect").isEqualTo("C");
        assertThat(c.pick(lblc)).isEqualTo("C");
        c.get("A").down();
        c.get("C").maxConnections(1).active(1);
        assertThat(c.pick(lblc)).isEqualTo("-");
    }

    @Test
    void entriesExpireWhenUnused() {
        Cluster c = Cluster.of(1, 1);
        assertThat(c.pick(lblc)).isEqualTo("A");
        c.get("A").active(1); // wlc would now choose B
        clock.advance(Duration.ofHours(23));
        assertThat(c.pick(lblc)).as("each use renews the entry").isEqualTo("A");
        clock.advance(Duration.ofHours(23));
        assertThat(c.pick(lblc)).isEqualTo("A");
        clock.advance(Duration.ofHours(24).plusSeconds(1));
        assertThat(c.pick(lblc)).as("forgotten, so wlc again").isEqualTo("B");
    }

    @Test
    void expirationIsConfigurable() {
        LocalityLeastConnectionsStrategy shortLived =
                new LocalityLeastConnectionsStrategy(Duration.ofSeconds(10), clock);
        Cluster c = Cluster.of(1, 1);
        assertThat(c.pick(shortLived)).isEqualTo("A");
        c.get("A").active(1);
        clock.advance(Duration.ofSeconds(10));
        assertThat(c.pick(shortLived)).isEqualTo("A");
        clock.advance(Duration.ofSeconds(11));
        assertThat(c.pick(shortLived)).isEqualTo("B");
    }

    @Test
    void staleEntriesOfOtherDestinationsAreSwept() {
        LocalityLeastConnectionsStrategy shortLived =
                new LocalityLeastConnectionsStrategy(Duration.ofSeconds(10), clock);
        Cluster c = Cluster.of(1, 1);
        c.to("192.0.2.1", 80).pick(shortLived);
        c.to("192.0.2.2", 80).pick(shortLived);
        assertThat(shortLived.entries()).isEqualTo(2);
        clock.advance(Duration.ofSeconds(61));
        c.to("192.0.2.3", 80).pick(shortLived);
        assertThat(shortLived.entries()).isEqualTo(1);
    }

    @Test
    void eachListenAddressHasItsOwnBackend() {
        Cluster c = Cluster.of(1, 1);
        assertThat(c.to("192.0.2.1", 80).pick(lblc)).isEqualTo("A");
        c.get("A").active(1);
        assertThat(c.to("192.0.2.2", 80).pick(lblc)).isEqualTo("B");
        assertThat(c.to("192.0.2.1", 443).pick(lblc)).as("same IP, other port: same destination").isEqualTo("A");
    }

    @Test
    void survivesChangesOfTheBackendList() {
        Cluster c = Cluster.of(1, 1, 1);
        c.get("A").active(1);
        assertThat(c.pick(lblc)).isEqualTo("B");
        c.get("B").active(1);
        c.remove("A");
        c.add(1);
        assertThat(c.pick(lblc)).as("B is still there: it stays").isEqualTo("B");
        c.remove("B");
        assertThat(c.pick(lblc)).as("B is gone: wlc").isEqualTo("C");
    }

    @Test
    void rejectsANonPositiveExpiration() {
        assertThatThrownBy(() -> new LocalityLeastConnectionsStrategy(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expiration");
    }
}
