package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Set;

/**
 * IPVS's {@code twos} (power of two choices, weighted): two eligible backends drawn at random in
 * proportion to their weights (possibly the same one twice), and the one with the lower
 * overhead per weight, {@code (256 * active + inactive) / weight}, wins; the first draw wins a
 * tie. With a seed the choices repeat (for tests). Thread-safe.
 *
 * <p>IPVS draws from {@code 0..total} inclusive, which gives the first backend one extra chance
 * in {@code total + 1}; this draws from {@code 0..total-1}, exactly in proportion.
 */
public final class WeightedRandomTwoStrategy implements Strategy {
    private final RandomSource random;

    /** Weighted two choices with unseeded randomness. */
    public WeightedRandomTwoStrategy() {
        this(RandomSource.unseeded());
    }

    /** Weighted two choices whose draws repeat for the same seed and the same calls. */
    public WeightedRandomTwoStrategy(long seed) {
        this(RandomSource.seeded(seed));
    }

    private WeightedRandomTwoStrategy(RandomSource random) {
        this.random = random;
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        int n = backends.size();
        long total = 0;
        for (int i = 0; i < n; i++) {
            BackendView b = backends.get(i);
            int w = b.weight();
            if (w > 0 && context.isEligible(b)) {
                total += w;
            }
        }
        if (total == 0) {
            return null;
        }
        long r1 = random.nextLong(total);
        long r2 = random.nextLong(total);
        BackendView first = null;
        BackendView second = null;
        int w1 = 0;
        int w2 = 0;
        long cumulative = 0;
        for (int i = 0; i < n && (first == null || second == null); i++) {
            BackendView b = backends.get(i);
            int w = b.weight();
            if (w <= 0 || !context.isEligible(b)) {
                continue;
            }
            cumulative += w;
            if (first == null && r1 < cumulative) {
                first = b;
                w1 = w;
            }
            if (second == null && r2 < cumulative) {
                second = b;
                w2 = w;
            }
        }
        if (first == null || second == null) {
            // Weights or eligibility changed between the two passes.
            return first != null ? first : second != null ? second
                    : Scheduling.weightedLeastConnections(context, backends);
        }
        return Scheduling.lessPerWeight(Scheduling.overhead(second), w2, Scheduling.overhead(first), w1)
                ? second : first;
    }

    /** Registers {@code weighted-random-two} (alias {@code twos}); option {@code seed=N}. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "weighted-random-two";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("twos");
        }

        @Override
        public String description() {
            return "two weighted random available backends, the one with less overhead per weight (option seed=N)";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown("seed");
            return new WeightedRandomTwoStrategy(RandomSource.from(options));
        }
    }
}
