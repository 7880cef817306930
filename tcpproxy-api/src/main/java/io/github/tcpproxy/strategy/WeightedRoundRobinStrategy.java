package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * IPVS's {@code wrr}: round robin in proportion to the weights, interleaved. It walks the
 * backends in passes with a current weight {@code cw} that starts at the highest weight and
 * steps down by the greatest common divisor of the weights; a pass takes every backend whose
 * weight is at least {@code cw}. Weights A=4, B=3, C=2 give {@code A A B A B C A B C}, repeating.
 * Ineligible backends are skipped without stopping the cycle; weight 0 takes nothing.
 *
 * <p>Thread-safe without locks: the position (current backend and current weight) is one
 * {@code long} advanced by compare-and-set, and the derived figures (gcd, maximum) live in an
 * immutable table rebuilt when the backend list or a weight changes, as IPVS's
 * {@code dest_changed} does. Unlike IPVS, a rebuild keeps the place in the cycle instead of
 * starting again at the first backend, so that weights that change often (slow start, a control
 * plane re-applying weights) do not favour the first backends.
 */
public final class WeightedRoundRobinStrategy implements Strategy {
    /** Position before the first backend (IPVS's list head). */
    private static final int HEAD = -1;

    /** Current weight in the high 32 bits, current backend index + 1 in the low 32 bits. */
    private final AtomicLong position = new AtomicLong();
    private volatile Table table;

    /** What IPVS computes when the destinations change. */
    private static final class Table {
        final List<BackendView> backends;
        final int[] weights;
        /** The step: the gcd of the positive weights (1 if none). */
        final int di;
        /**
         * The starting weight: the maximum less {@code di - 1}, so that the last pass is at 1
         * and catches a backend whose weight dropped below {@code di} meanwhile (as IPVS).
         */
        final int mw;

        Table(List<BackendView> backends, int[] weights) {
            this.backends = backends;
            this.weights = weights;
            int g = Scheduling.gcdOfPositive(weights);
            this.di = g > 0 ? g : 1;
            this.mw = Scheduling.max(weights) - (di - 1);
        }
    }

    /** A weighted round robin that starts with the first backend of the highest weight. */
    public WeightedRoundRobinStrategy() {
    }

    private static long pack(int cw, int index) {
        return (long) cw << 32 | ((index + 1) & 0xffffffffL);
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        Table t = table;
        if (t == null || t.backends != backends || !Scheduling.sameWeights(t.weights, backends)) {
            t = rebuild(backends);
        }
        if (t.mw <= 0) {
            return null;
        }
        int n = backends.size();
        while (true) {
            long current = position.get();
            int cw = (int) (current >> 32);
            int last = (int) current - 1;
            if (last < HEAD || last >= n) {
                last = HEAD;
            }
            if (cw <= 0 || cw > t.mw) {
                cw = t.mw;
            }
            int d = last;
            int stop = Integer.MIN_VALUE;
            boolean lastPass = false;
            boolean restarted = false;
            BackendView found = null;
            scan:
            while (true) {
                boolean fullPass = d == HEAD;
                int maxEligible = 0;
                for (d = d + 1; d < n; d++) {
                    BackendView b = backends.get(d);
                    int w = b.weight();
                    if (w > 0 && context.isEligible(b)) {
                        if (w >= cw) {
                            found = b;
                            break scan;
                        }
                        maxEligible = Math.max(maxEligible, w);
                    }
                    if (d == stop) {
                        break scan;
                    }
                }
                d = HEAD;
                if (fullPass && maxEligible == 0) {
                    break; // a whole pass found nothing eligible: none is
                }
                cw -= t.di;
                if (cw <= 0) {
                    cw = t.mw;
                    // Stop once a pass at the lowest weight has covered every backend.
                    if (lastPass || last == HEAD) {
                        break;
                    }
                    restarted = true;
                }
                if (fullPass && cw > maxEligible) {
                    // Passes above the highest eligible weight would find nothing: skip them
                    // (IPVS walks them one by one, which costs max/gcd passes when the heaviest
                    // backend is down).
                    cw -= (cw - maxEligible + t.di - 1) / t.di * t.di;
                }
                lastPass = cw <= t.di;
                if (lastPass && restarted && last != HEAD) {
                    // The first pass at weight >= 1 started after 'last'; finish it up to 'last'.
                    stop = last;
                }
            }
            if (position.compareAndSet(current, pack(cw, found != null ? d : HEAD))) {
                return found;
            }
        }
    }

    /**
     * Synchronized and checked again inside: reactors that find the table stale at the same time
     * rebuild it once, so that a late second rebuild cannot send the shared position back to the
     * head after picks were made from the first one.
     */
    private synchronized Table rebuild(List<BackendView> backends) {
        Table existing = table;
        if (existing != null && existing.backends == backends && Scheduling.sameWeights(existing.weights, backends)) {
            return existing;
        }
        Table t = new Table(backends, Scheduling.weights(backends));
        // As IPVS's ip_vs_wrr_dest_changed, keep the current weight if it still makes sense,
        // aligned to the new step; unlike it, go on after the backend picked last rather than
        // from the head. Slow start changes weights all the time, and the engine publishes a new
        // list on any change: restarting from the head each time would keep picking the first
        // backends and starve the others.
        while (true) {
            long current = position.get();
            int cw = (int) (current >> 32);
            if (cw > t.mw || cw <= 0) {
                cw = t.mw;
            } else if (t.di > 1) {
                cw = (cw / t.di) * t.di + 1;
            }
            int last = existing == null ? HEAD : indexIn(backends, existing.backends, (int) current - 1);
            if (position.compareAndSet(current, pack(cw, last))) {
                break;
            }
        }
        table = t;
        return t;
    }

    /**
     * Where the backend at {@code index} of {@code old} is in {@code backends}; {@link #HEAD} if
     * there is none or it is gone.
     */
    private static int indexIn(List<BackendView> backends, List<BackendView> old, int index) {
        if (index < 0 || index >= old.size()) {
            return HEAD;
        }
        BackendView last = old.get(index);
        if (index < backends.size() && backends.get(index) == last) {
            return index; // the same list, or the same order: the common case
        }
        int found = backends.indexOf(last);
        return found >= 0 ? found : HEAD;
    }

    /** Registers {@code weighted-round-robin} (alias {@code wrr}); takes no options. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "weighted-round-robin";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("wrr");
        }

        @Override
        public String description() {
            return "round robin in proportion to the weights, interleaved (4,3,2 gives A A B A B C A B C)";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown();
            return new WeightedRoundRobinStrategy();
        }
    }
}
