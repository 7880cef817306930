package io.github.tcpproxy.internal;

import java.time.Duration;

/** Durations as nanoseconds, the way every deadline here is kept. */
public final class Nanos {
    /**
     * The longest time kept as nanoseconds: 2^62 ns, about 146 years. Longer durations are cut to
     * it, so that {@code System.nanoTime() + d} can neither throw nor wrap into the past (which
     * would fire a far-away deadline at once).
     */
    public static final long MAX = 1L << 62;

    private static final Duration MAX_DURATION = Duration.ofNanos(MAX);

    private Nanos() {
    }

    /** {@code d} in nanoseconds, at most {@link #MAX}. */
    public static long of(Duration d) {
        return d.compareTo(MAX_DURATION) >= 0 ? MAX : d.toNanos();
    }

    /** Whether {@code d} is cut by {@link #of}. */
    public static boolean isCut(Duration d) {
        return d.compareTo(MAX_DURATION) >= 0;
    }
}
