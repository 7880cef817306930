package io.github.tcpproxy.strategy;

import java.time.Duration;
import java.util.function.LongSupplier;

/** A nanosecond clock that moves only when told. */
final class FakeClock implements LongSupplier {
    private volatile long now = 1_000_000_000L;

    @Override
    public long getAsLong() {
        return now;
    }

    FakeClock advance(Duration d) {
        now += d.toNanos();
        return this;
    }
}
