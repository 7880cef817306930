package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import java.util.List;

/**
 * The arithmetic the IPVS schedulers share: the connection overhead, exact comparison of
 * load-per-weight ratios, the weighted-least-connection pick and a few table helpers.
 *
 * <p>Every loop here is indexed rather than iterator-based so that the hot path allocates
 * nothing. Weights and counters are read once per backend and per decision: they change under
 * our feet (other reactor threads), as in IPVS, and a decision only needs to be consistent with
 * the values it read.
 */
final class Scheduling {
    private Scheduling() {
    }

    /**
     * IPVS's connection overhead ({@code ip_vs_dest_conn_overhead}): an active connection counts
     * 256 times as much as an inactive one.
     */
    static long overhead(BackendView b) {
        return ((long) b.activeConnections() << 8) + b.inactiveConnections();
    }

    /**
     * Whether {@code loadA / weightA < loadB / weightB}, compared by cross-multiplying as IPVS
     * does ({@code loadA * weightB < loadB * weightA}) but in 128 bits, so that no counter or
     * weight can overflow it. All arguments are 0 or more.
     */
    static boolean lessPerWeight(long loadA, int weightA, long loadB, int weightB) {
        return compareProducts(loadA, weightB, loadB, weightA) < 0;
    }

    /** The sign of {@code a * b - c * d} for non-negative arguments, exact. */
    static int compareProducts(long a, long b, long c, long d) {
        long hi1 = Math.multiplyHigh(a, b);
        long hi2 = Math.multiplyHigh(c, d);
        if (hi1 != hi2) {
            return hi1 < hi2 ? -1 : 1;
        }
        return Long.compareUnsigned(a * b, c * d);
    }

    /**
     * IPVS's {@code wlc}: the eligible backend with the least overhead per weight; ties go to the
     * earlier backend. {@code null} if none is eligible.
     */
    static BackendView weightedLeastConnections(SelectionContext context, List<BackendView> backends) {
        BackendView least = null;
        long leastLoad = 0;
        int leastWeight = 0;
        for (int i = 0, n = backends.size(); i < n; i++) {
            BackendView b = backends.get(i);
            int w = b.weight();
            if (w <= 0 || !context.isEligible(b)) {
                continue;
            }
            long load = overhead(b);
            if (least == null || lessPerWeight(load, w, leastLoad, leastWeight)) {
                least = b;
                leastLoad = load;
                leastWeight = w;
            }
        }
        return least;
    }

    /** {@link #weightedLeastConnections(SelectionContext, List)} over an array of members. */
    static BackendView weightedLeastConnections(SelectionContext context, BackendView[] members) {
        BackendView least = null;
        long leastLoad = 0;
        int leastWeight = 0;
        for (BackendView b : members) {
            int w = b.weight();
            if (w <= 0 || !context.isEligible(b)) {
                continue;
            }
            long load = overhead(b);
            if (least == null || lessPerWeight(load, w, leastLoad, leastWeight)) {
                least = b;
                leastLoad = load;
                leastWeight = w;
            }
        }
        return least;
    }

    /**
     * The locality schedulers' test for leaving a cached backend ({@code is_overloaded} in
     * {@code ip_vs_lblc.c}): it has more active connections than its weight while some other
     * eligible backend has fewer than half its weight.
     */
    static boolean isBusy(BackendView cached, SelectionContext context, List<BackendView> backends) {
        if (cached.activeConnections() <= cached.weight()) {
            return false;
        }
        for (int i = 0, n = backends.size(); i < n; i++) {
            BackendView b = backends.get(i);
            if (b != cached && 2L * b.activeConnections() < b.weight() && context.isEligible(b)) {
                return true;
            }
        }
        return false;
    }

    /** Whether any backend in the list is eligible now. */
    static boolean anyEligible(SelectionContext context, List<BackendView> backends) {
        for (int i = 0, n = backends.size(); i < n; i++) {
            if (context.isEligible(backends.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** The current weights, in list order. */
    static int[] weights(List<BackendView> backends) {
        int[] weights = new int[backends.size()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = backends.get(i).weight();
        }
        return weights;
    }

    /**
     * Whether {@code weights} still are the current weights of {@code backends}: the engine keeps
     * the list instance while only weights change, so cached tables check this on every call.
     */
    static boolean sameWeights(int[] weights, List<BackendView> backends) {
        if (weights.length != backends.size()) {
            return false;
        }
        for (int i = 0; i < weights.length; i++) {
            if (backends.get(i).weight() != weights[i]) {
                return false;
            }
        }
        return true;
    }

    /** The greatest common divisor of the positive weights, or 0 if there is none. */
    static int gcdOfPositive(int[] weights) {
        int g = 0;
        for (int w : weights) {
            if (w > 0) {
                g = g == 0 ? w : gcd(g, w);
            }
        }
        return g;
    }

    static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /** The largest of the weights, 0 if there are none. */
    static int max(int[] weights) {
        int max = 0;
        for (int w : weights) {
            max = Math.max(max, w);
        }
        return max;
    }
}
