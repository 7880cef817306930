package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Set;

/**
 * Power of two choices: two different eligible backends drawn uniformly at random, and the one
 * with fewer active connections wins (the first drawn on a tie); weights other than 0 are
 * ignored. Nearly as even as least-connections without every proxy thread herding onto the
 * same least-loaded backend. With a seed the choices repeat (for tests). Thread-safe.
 */
public final class PowerOfTwoChoicesStrategy implements Strategy {
    private final RandomSource random;

    /** Power of two choices with unseeded randomness. */
    public PowerOfTwoChoicesStrategy() {
        this(RandomSource.unseeded());
    }

    /** Power of two choices whose draws repeat for the same seed and the same calls. */
    public PowerOfTwoChoicesStrategy(long seed) {
        this(RandomSource.seeded(seed));
    }

    private PowerOfTwoChoicesStrategy(RandomSource random) {
        this.random = random;
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        int n = backends.size();
        int eligible = 0;
        for (int i = 0; i < n; i++) {
            if (context.isEligible(backends.get(i))) {
                eligible++;
            }
        }
        if (eligible == 0) {
            return null;
        }
        int first = random.nextInt(eligible);
        int second = first;
        if (eligible > 1) {
            second = random.nextInt(eligible - 1);
            if (second >= first) {
                second++;
            }
        }
        BackendView a = null;
        BackendView b = null;
        for (int i = 0, seen = 0; i < n && (a == null || b == null); i++) {
            BackendView v = backends.get(i);
            if (context.isEligible(v)) {
                if (seen == first) {
                    a = v;
                }
                if (seen == second) {
                    b = v;
                }
                seen++;
            }
        }
        if (a == null || b == null) {
            // Eligibility changed between the two passes: take whatever was found.
            return a != null ? a : b != null ? b : Scheduling.weightedLeastConnections(context, backends);
        }
        // A tie goes to the first draw, which is itself uniformly random: giving it to the earlier
        // backend instead would starve the last one whenever the loads are equal (as at start).
        return b.activeConnections() < a.activeConnections() ? b : a;
    }

    /** Registers {@code power-of-two} (alias {@code p2c}); option {@code seed=N}. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "power-of-two";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("p2c");
        }

        @Override
        public String description() {
            return "two random available backends, the one with fewer active connections (option seed=N)";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown("seed");
            return new PowerOfTwoChoicesStrategy(RandomSource.from(options));
        }
    }
}
