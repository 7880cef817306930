package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TableTest {

    @Test
    void ratiosAreMediansOfPerRoundRatios() {
        Table t = new Table(List.of("direct", "tcpproxy", "haproxy"), 3);
        t.row("s", "stream (Gbit/s)", 2, true);
        double[][] v = {{10, 4, 5}, {20, 10, 8}, {10, 6, 6}}; // per round: direct, tcpproxy, haproxy
        for (int r = 0; r < 3; r++) {
            t.put("s", "direct", r, v[r][0]);
            t.put("s", "tcpproxy", r, v[r][1]);
            t.put("s", "haproxy", r, v[r][2]);
        }
        assertThat(t.median("s", "tcpproxy")).isEqualTo(6);
        String text = t.render(false);
        // tcpproxy/direct per round: 0.4, 0.5, 0.6 -> 0.50; haproxy/direct: 0.5, 0.4, 0.6 -> 0.50
        // tcpproxy/haproxy: 0.8, 1.25, 1.0 -> 1.00
        assertThat(text.lines().skip(1).findFirst().orElseThrow())
                .matches("stream \\(Gbit/s\\)\\s+10\\.00\\s+6\\.00\\s+0\\.50\\s+6\\.00\\s+0\\.50\\s+1\\.00");
    }

    @Test
    void perRoundValuesDoNotWidenTheColumns() {
        Table t = new Table(List.of("direct", "tcpproxy"), 3);
        t.row("s", "stream (Gbit/s)", 2, true);
        for (int r = 0; r < 3; r++) {
            t.put("s", "direct", r, 10_000 + r);
            t.put("s", "tcpproxy", r, 5_000 + r);
        }
        List<String> lines = t.render(true).lines().toList();
        assertThat(lines.get(0)).isEqualTo(t.render(false).lines().findFirst().orElseThrow());
        assertThat(lines.get(1)).hasSameSizeAs(lines.get(0));
        assertThat(lines.get(2)).startsWith("   (rounds)").contains("10,000.00/10,001.00/10,002.00");
    }

    @Test
    void percentileIsNearestRank() {
        long[] v = Stats.sort(new long[] {5, 1, 4, 2, 3, 0}, 5);
        assertThat(Stats.percentile(v, 5, 50)).isEqualTo(3);
        assertThat(Stats.percentile(v, 5, 99)).isEqualTo(5);
        assertThat(Stats.percentile(v, 0, 50)).isNaN();
    }
}
