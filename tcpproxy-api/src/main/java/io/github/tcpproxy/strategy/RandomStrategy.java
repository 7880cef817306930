package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A uniformly random eligible backend. With a seed the sequence of choices repeats from run to
 * run (for tests); without one it uses {@link ThreadLocalRandom}. Thread-safe.
 */
public final class RandomStrategy implements Strategy {
    private final SplittableRandom seeded;

    /** A random strategy without a seed. */
    public RandomStrategy() {
        this.seeded = null;
    }

    /** A random strategy whose choices repeat for the same seed and the same calls. */
    public RandomStrategy(long seed) {
        this.seeded = new SplittableRandom(seed);
    }

    private int nextInt(int bound) {
        if (seeded == null) {
            return ThreadLocalRandom.current().nextInt(bound);
        }
        synchronized (seeded) {
            return seeded.nextInt(bound);
        }
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        int n = backends.size();
        int eligible = 0;
        // Indexed loops: an iterator per call is garbage on every new connection.
        for (int i = 0; i < n; i++) {
            if (context.isEligible(backends.get(i))) {
                eligible++;
            }
        }
        if (eligible == 0) {
            return null;
        }
        int pick = nextInt(eligible);
        for (int i = 0; i < n; i++) {
            BackendView b = backends.get(i);
            if (context.isEligible(b) && pick-- == 0) {
                return b;
            }
        }
        // A backend became ineligible between the two passes: take the first one still eligible.
        for (int i = 0; i < n; i++) {
            BackendView b = backends.get(i);
            if (context.isEligible(b)) {
                return b;
            }
        }
        return null;
    }

    /** Registers {@code random}; option {@code seed=N} makes the choices repeat. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "random";
        }

        @Override
        public String description() {
            return "a uniformly random available backend (option seed=N to repeat)";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown("seed");
            String seed = options.get("seed", null);
            return seed == null ? new RandomStrategy()
                    : new RandomStrategy(options.getLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE));
        }
    }
}
