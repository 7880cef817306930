package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import java.util.List;

/**
 * The static bucket table of IPVS's {@code dh} and {@code sh}: 2^bits buckets, each naming a
 * backend, filled by walking the backends in turn and giving each as many consecutive buckets
 * as its turns. Immutable: a strategy keeps the current one in a volatile field and replaces it
 * when the backend list or the weights change.
 */
final class BucketTable {
    /** The list the bucket indices point into. */
    final List<BackendView> backends;
    /** The weights seen when building, to notice a change; null when weights do not matter. */
    final int[] weights;
    /** The weights the table was built from (see {@link Hashing#tableWeights}). */
    final int[] tableWeights;
    private final int[] buckets;
    private final int mask;

    private BucketTable(List<BackendView> backends, int[] weights, int[] tableWeights, int[] buckets) {
        this.backends = backends;
        this.weights = weights;
        this.tableWeights = tableWeights;
        this.buckets = buckets;
        this.mask = buckets.length - 1;
    }

    /**
     * Builds a table of {@code 1 << bits} buckets.
     *
     * @param weights the current weights, kept for {@link #isFor}, or null to ignore weights
     * @param tableWeights the share of each backend; 0 gives it no bucket
     */
    static BucketTable build(List<BackendView> backends, int[] weights, int[] tableWeights, int bits) {
        int size = 1 << bits;
        int[] turns = Hashing.turns(tableWeights, bits);
        // More turns than buckets would leave the last backends out entirely: halve the turns
        // (keeping every backend at 1 or more) until one round fits, if it can.
        while (sum(turns) > size && halve(turns)) {
            // repeat
        }
        int[] buckets = new int[size];
        java.util.Arrays.fill(buckets, -1);
        if (sum(turns) > 0) {
            int p = 0;
            int given = 0;
            for (int i = 0; i < size; i++) {
                while (turns[p] == 0) {
                    p = (p + 1) % turns.length;
                }
                buckets[i] = p;
                if (++given >= turns[p]) {
                    given = 0;
                    p = (p + 1) % turns.length;
                }
            }
        }
        return new BucketTable(backends, weights, tableWeights, buckets);
    }

    private static long sum(int[] values) {
        long s = 0;
        for (int v : values) {
            s += v;
        }
        return s;
    }

    private static boolean halve(int[] turns) {
        boolean changed = false;
        for (int i = 0; i < turns.length; i++) {
            if (turns[i] > 1) {
                turns[i] = Math.max(1, turns[i] >> 1);
                changed = true;
            }
        }
        return changed;
    }

    /** Whether this table was built for this list and, if weights matter, these weights. */
    boolean isFor(List<BackendView> list) {
        return backends == list && (weights == null || Scheduling.sameWeights(weights, list));
    }

    /** The number of buckets. */
    int size() {
        return buckets.length;
    }

    /** The backend index in bucket {@code i}, -1 if none; for tests. */
    int bucket(int i) {
        return buckets[i];
    }

    /**
     * The backend in {@code bucket} if it is eligible; otherwise, with {@code fallback}, the
     * backend of the next bucket that is, wrapping around; otherwise null.
     */
    BackendView pick(SelectionContext context, int bucket, boolean fallback) {
        int index = buckets[bucket];
        if (index < 0) {
            return null;
        }
        BackendView b = backends.get(index);
        if (context.isEligible(b)) {
            return b;
        }
        // Checking first that someone is eligible keeps the walk below short (it ends at that
        // backend's nearest bucket) instead of covering the whole table for nothing.
        if (!fallback || !Scheduling.anyEligible(context, backends)) {
            return null;
        }
        for (int i = 1; i < buckets.length; i++) {
            index = buckets[(bucket + i) & mask];
            if (index >= 0) {
                b = backends.get(index);
                if (context.isEligible(b)) {
                    return b;
                }
            }
        }
        return null;
    }
}
