package io.github.tcpproxy.bench;

import java.util.Arrays;
import java.util.List;

/** Small numeric helpers: percentiles of samples and medians of rounds. */
final class Stats {
    private Stats() {
    }

    /**
     * The {@code p}-th percentile (0-100) of the first {@code n} values of {@code sorted}, which
     * must be sorted ascending; nearest-rank, so it is always one of the samples. NaN if empty.
     */
    static double percentile(long[] sorted, int n, double p) {
        if (n == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * n);
        return sorted[Math.min(n - 1, Math.max(0, rank - 1))];
    }

    /** Sorts the first {@code n} values in place and returns the array, for {@link #percentile}. */
    static long[] sort(long[] values, int n) {
        Arrays.sort(values, 0, n);
        return values;
    }

    /** The median of the values that are not NaN; NaN if there are none. */
    static double median(List<Double> values) {
        double[] v = values.stream().filter(d -> d != null && !d.isNaN()).mapToDouble(Double::doubleValue)
                .sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }
}
