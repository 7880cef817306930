package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.StrategyOptions;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random numbers for the random strategies: {@link ThreadLocalRandom} (no contention) without a
 * seed, or one seeded generator behind a lock so that a test sees the same sequence every run.
 */
final class RandomSource {
    private final SplittableRandom seeded;

    private RandomSource(SplittableRandom seeded) {
        this.seeded = seeded;
    }

    static RandomSource unseeded() {
        return new RandomSource(null);
    }

    static RandomSource seeded(long seed) {
        return new RandomSource(new SplittableRandom(seed));
    }

    /** From option {@code seed=N} if given, else unseeded. */
    static RandomSource from(StrategyOptions options) {
        return options.get("seed", null) == null ? unseeded()
                : seeded(options.getLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE));
    }

    /** A uniform int in {@code 0..bound-1}; {@code bound} is positive. */
    int nextInt(int bound) {
        if (seeded == null) {
            return ThreadLocalRandom.current().nextInt(bound);
        }
        synchronized (seeded) {
            return seeded.nextInt(bound);
        }
    }

    /** A uniform long in {@code 0..bound-1}; {@code bound} is positive. */
    long nextLong(long bound) {
        if (seeded == null) {
            return ThreadLocalRandom.current().nextLong(bound);
        }
        synchronized (seeded) {
            return seeded.nextLong(bound);
        }
    }
}
