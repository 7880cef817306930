package io.github.tcpproxy.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results: one row per figure, one value per target per round. Each cell shows the median over
 * the rounds; each ratio is the median of the per-round ratios (a proxy against the direct
 * connection measured in the same round, minutes apart at most), which is more robust to a machine
 * whose speed drifts than the ratio of two medians.
 */
final class Table {
    private static final String ROUNDS_LABEL = "   (rounds)";

    private final List<String> targets;
    private final int rounds;
    private final Map<String, Row> rows = new LinkedHashMap<>();

    private static final class Row {
        final String key;
        final String label;
        final int decimals;
        final boolean vsDirect;
        final Map<String, double[]> values = new LinkedHashMap<>();
        String note;

        Row(String key, String label, int decimals, boolean vsDirect) {
            this.key = key;
            this.label = label;
            this.decimals = decimals;
            this.vsDirect = vsDirect;
        }
    }

    Table(List<String> targets, int rounds) {
        this.targets = List.copyOf(targets);
        this.rounds = rounds;
    }

    /**
     * Declares a row, in display order, found again by {@code key}. {@code vsDirect}: show ratios
     * against the direct column. A label starting with spaces reads as a sub-row of the one above.
     */
    void row(String key, String label, int decimals, boolean vsDirect) {
        rows.computeIfAbsent(key, k -> new Row(k, label, decimals, vsDirect));
    }

    /** Records one value; the row must have been declared. NaN means "not measured". */
    void put(String key, String target, int round, double value) {
        Row row = rows.get(key);
        if (row == null) {
            throw new IllegalArgumentException("no row '" + key + "'");
        }
        double[] v = row.values.computeIfAbsent(target, t -> {
            double[] a = new double[rounds];
            Arrays.fill(a, Double.NaN);
            return a;
        });
        v[round] = value;
    }

    /** A remark printed under the table, tied to a row (an error, for instance). */
    void note(String key, String note) {
        Row row = rows.get(key);
        if (row != null && row.note == null) {
            row.note = note;
        }
    }

    double median(String key, String target) {
        Row row = rows.get(key);
        double[] v = row == null ? null : row.values.get(target);
        return v == null ? Double.NaN : Stats.median(box(v));
    }

    private double ratio(Row row, String a, String b) {
        double[] x = row.values.get(a);
        double[] y = row.values.get(b);
        if (x == null || y == null) {
            return Double.NaN;
        }
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            if (!Double.isNaN(x[i]) && !Double.isNaN(y[i]) && y[i] != 0) {
                r.add(x[i] / y[i]);
            }
        }
        return Stats.median(r);
    }

    private static List<Double> box(double[] v) {
        List<Double> l = new ArrayList<>();
        for (double d : v) {
            l.add(d);
        }
        return l;
    }

    /** The table as text: figure, direct, then per proxy its value and ratio, then tcpproxy/haproxy. */
    String render(boolean everyRound) {
        List<String> proxies = targets.stream().filter(t -> !t.equals("direct")).toList();
        List<String> header = new ArrayList<>(List.of("figure", "direct"));
        for (String p : proxies) {
            header.add(p);
            header.add("x direct");
        }
        boolean both = proxies.contains("tcpproxy") && proxies.contains("haproxy");
        if (both) {
            header.add("tcp/hap");
        }
        List<List<String>> cells = new ArrayList<>();
        cells.add(header);
        for (Row row : rows.values()) {
            if (row.values.isEmpty()) {
                continue;
            }
            List<String> line = new ArrayList<>();
            line.add(row.label);
            line.add(fmt(median(row.key, "direct"), row.decimals));
            for (String p : proxies) {
                line.add(fmt(median(row.key, p), row.decimals));
                line.add(row.vsDirect ? fmt(ratio(row, p, "direct"), 2) : "");
            }
            if (both) {
                line.add(fmt(ratio(row, "tcpproxy", "haproxy"), 2));
            }
            cells.add(line);
            if (everyRound && rounds > 1) {
                List<String> raw = new ArrayList<>();
                raw.add(ROUNDS_LABEL);
                for (String t : header.subList(1, header.size())) {
                    double[] v = row.values.get(t);
                    raw.add(v == null ? "" : String.join("/", Arrays.stream(v).mapToObj(d -> fmt(d, row.decimals)).toList()));
                }
                cells.add(raw);
            }
        }
        int[] width = new int[header.size()];
        for (List<String> line : cells) {
            if (line.get(0).equals(ROUNDS_LABEL)) {
                continue; // per-round values overflow their column rather than widen every line
            }
            for (int i = 0; i < line.size(); i++) {
                width[i] = Math.max(width[i], line.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> line : cells) {
            for (int i = 0; i < line.size(); i++) {
                String c = line.get(i);
                if (i == 0) {
                    sb.append(c).append(" ".repeat(Math.max(0, width[0] - c.length())));
                } else {
                    sb.append("  ").append(" ".repeat(Math.max(0, width[i] - c.length()))).append(c);
                }
            }
            sb.append('\n');
        }
        for (Row row : rows.values()) {
            if (row.note != null) {
                sb.append("note (").append(row.label.trim()).append("): ").append(row.note).append('\n');
            }
        }
        return sb.toString();
    }

    static String fmt(double v, int decimals) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", v);
    }
}
