package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DestinationHashStrategyTest {
    private final DestinationHashStrategy dh = new DestinationHashStrategy();

    @Test
    void everyClientOfOneListenAddressGoesToTheSameBackend() {
        Cluster c = Cluster.ofSize(5);
        String first = c.pick(dh);
        for (int i = 0; i < 200; i++) {
            assertThat(c.from(Cluster.client(i)).pick(dh)).isEqualTo(first);
        }
        c.get("A").active(100);
        assertThat(c.pick(dh)).as("load does not matter").isEqualTo(first);
    }

    @Test
    void listenAddressesSpreadOverTheBackendsByIpNotPort() {
        Cluster c = Cluster.ofSize(4);
        Set<String> seen = new HashSet<>();
        for (int i = 1; i <= 64; i++) {
            String ip = "192.0.2." + i;
            String b = c.to(ip, 80).pick(dh);
            assertThat(c.to(ip, 8443).pick(dh)).isEqualTo(b);
            seen.add(b);
        }
        assertThat(seen).containsExactlyInAnyOrder("A", "B", "C", "D");
    }

    @Test
    void isTheSameInEveryInstance() {
        Cluster c = Cluster.ofSize(7);
        DestinationHashStrategy other = new DestinationHashStrategy();
        for (int i = 1; i <= 50; i++) {
            assertThat(c.to("198.18.0." + i, 80).pick(other)).isEqualTo(c.to("198.18.0." + i, 80).pick(dh));
        }
    }

    @Test
    void anIneligibleBackendFailsTheClientUnlessFallbackIsOn() {
        Cluster c = Cluster.ofSize(3);
        String hashed = c.pick(dh);
        DestinationHashStrategy withFallback = new DestinationHashStrategy(8, true);
        assertThat(c.pick(withFallback)).isEqualTo(hashed);
        c.get(hashed).weight(0);
        assertThat(c.pick(dh)).isEqualTo("-");
        String fallback = c.pick(withFallback);
        assertThat(fallback).isNotIn(hashed, "-");
        assertThat(c.context().exclude(fallback).pick(withFallback)).isNotIn(hashed, fallback, "-");
        c.get(hashed).weight(1);
        assertThat(c.pick(dh)).as("draining reshuffled nothing").isEqualTo(hashed);
        for (String name : new String[] {"A", "B", "C"}) {
            c.get(name).down();
        }
        assertThat(c.pick(withFallback)).isEqualTo("-");
    }

    @Test
    void bucketsTakeTheBackendsInTurn() {
        Cluster c = Cluster.of(5, 1, 0);
        BucketTable t = BucketTable.build(c.backends(), null, new int[] {1, 1, 1}, 3);
        assertThat(t.size()).isEqualTo(8);
        int[] buckets = new int[8];
        for (int i = 0; i < 8; i++) {
            buckets[i] = t.bucket(i);
        }
        assertThat(buckets).containsExactly(0, 1, 2, 0, 1, 2, 0, 1);
    }

    @Test
    void rejectsTableBitsOutOfRange() {
        assertThatThrownBy(() -> new DestinationHashStrategy(21, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("21");
    }
}
