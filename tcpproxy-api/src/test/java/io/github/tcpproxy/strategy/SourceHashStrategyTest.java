package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SourceHashStrategyTest {
    private static final int CLIENTS = 10_000;
    private final SourceHashStrategy sh = new SourceHashStrategy();

    private static String[] assign(Cluster c, SourceHashStrategy s) {
        String[] names = new String[CLIENTS];
        for (int i = 0; i < CLIENTS; i++) {
            names[i] = c.from(Cluster.client(i)).pick(s);
        }
        return names;
    }

    @Test
    void theSameClientAlwaysReachesTheSameBackend() {
        Cluster c = Cluster.ofSize(5);
        String first = c.from("203.0.113.77", 1111).pick(sh);
        c.get("A").active(50);
        c.get("B").inactive(50);
        for (int port = 1000; port < 1100; port++) {
            assertThat(c.from("203.0.113.77", port).pick(sh)).as("port ignored by default").isEqualTo(first);
        }
    }

    @Test
    void isTheSameInEveryInstance() {
        Cluster c = Cluster.of(1, 2, 3);
        assertThat(assign(c, new SourceHashStrategy())).containsExactly(assign(c, sh));
    }

    @Test
    void clientsSpreadInProportionToTheWeights() {
        Cluster c = Cluster.of(1, 2, 3, 2);
        int[] counts = new int[4];
        for (String name : assign(c, sh)) {
            counts[name.charAt(0) - 'A']++;
        }
        assertThat(counts[0] / (double) CLIENTS).isCloseTo(1 / 8.0, offset(0.03));
        assertThat(counts[1] / (double) CLIENTS).isCloseTo(2 / 8.0, offset(0.03));
        assertThat(counts[2] / (double) CLIENTS).isCloseTo(3 / 8.0, offset(0.03));
        assertThat(counts[3] / (double) CLIENTS).isCloseTo(2 / 8.0, offset(0.03));
    }

    @Test
    void withPortTheConnectionsOfOneClientSpread() {
        Cluster c = Cluster.ofSize(4);
        SourceHashStrategy byPort = new SourceHashStrategy(8, true, false);
        Set<String> seen = new HashSet<>();
        for (int port = 40000; port < 40100; port++) {
            String b = c.from("203.0.113.77", port).pick(byPort);
            assertThat(c.from("203.0.113.77", port).pick(byPort)).isEqualTo(b);
            seen.add(b);
        }
        assertThat(seen).containsExactlyInAnyOrder("A", "B", "C", "D");
    }

    @Test
    void anIneligibleBackendFailsItsClientsUnlessFallbackIsOn() {
        Cluster c = Cluster.ofSize(4);
        SourceHashStrategy withFallback = new SourceHashStrategy(8, false, true);
        String[] before = assign(c, sh);
        c.get("B").down();
        String[] strict = assign(c, sh);
        String[] fallback = assign(c, withFallback);
        for (int i = 0; i < CLIENTS; i++) {
            if (before[i].equals("B")) {
                assertThat(strict[i]).isEqualTo("-");
                assertThat(fallback[i]).isNotIn("B", "-");
            } else {
                assertThat(strict[i]).isEqualTo(before[i]);
                assertThat(fallback[i]).isEqualTo(before[i]);
            }
        }
        assertThat(c.from("198.51.100.9", 1).exclude("A", "C", "D").pick(withFallback)).isEqualTo("-");
    }

    @Test
    void drainingABackendMovesOnlyItsOwnClients() {
        Cluster c = Cluster.of(2, 1, 3);
        SourceHashStrategy withFallback = new SourceHashStrategy(8, false, true);
        String[] before = assign(c, withFallback);
        c.get("C").weight(0).configuredWeight(0);
        String[] drained = assign(c, withFallback);
        int moved = 0;
        for (int i = 0; i < CLIENTS; i++) {
            if (before[i].equals("C")) {
                assertThat(drained[i]).isIn("A", "B");
                moved++;
            } else {
                assertThat(drained[i]).isEqualTo(before[i]);
            }
        }
        assertThat(moved).isPositive();
        c.get("C").weight(3);
        assertThat(assign(c, withFallback)).as("undrained: as before").containsExactly(before);
    }

    @Test
    void aBackendConfiguredWithWeightZeroGetsNoBucket() {
        Cluster c = Cluster.of(1, 0, 1);
        assertThat(assign(c, sh)).doesNotContain("B", "-");
    }

    @Test
    void ipv6ClientsHashToo() {
        Cluster c = Cluster.ofSize(3);
        Set<String> seen = new HashSet<>();
        for (int i = 1; i < 200; i++) {
            String ip = "2001:db8::" + Integer.toHexString(i) + ":" + Integer.toHexString(i * 7919 & 0xffff);
            String b = c.from(ip, 5000).pick(sh);
            assertThat(c.from(ip, 6000).pick(sh)).isEqualTo(b);
            seen.add(b);
        }
        assertThat(seen).containsExactlyInAnyOrder("A", "B", "C");
    }

    @Test
    void ipv4FoldingMatchesTheAddressBytes() throws Exception {
        for (String ip : new String[] {"0.0.0.0", "10.1.2.3", "192.0.2.201", "255.255.255.255", "128.0.0.1"}) {
            byte[] b = java.net.InetAddress.getByName(ip).getAddress();
            int expected = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
            assertThat(Hashing.fold(java.net.InetAddress.getByName(ip))).as(ip).isEqualTo(expected);
        }
        assertThat(Hashing.fold(java.net.InetAddress.getByName("::1"))).isEqualTo(1);
        assertThat(Hashing.fold(java.net.InetAddress.getByName("1:2:3:4:5:6:7:8")))
                .isEqualTo(0x00010002 ^ 0x00030004 ^ 0x00050006 ^ 0x00070008);
    }
}
