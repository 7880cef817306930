package io.github.tcpproxy.nio;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine's per-reactor timer heap ({@link Timers}), with 0, 1,000 or 100,000 other timers
 * pending (one reactor's connect deadlines and idle timeouts). It lives in the engine's package,
 * in the bench module, because {@code Timers} is package-private: that works on the class path
 * (same package name, same class loader), not on the module path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TimersBench {
    private static final long SPAN = TimeUnit.SECONDS.toNanos(10);
    private static final Runnable NOTHING = () -> { };

    /** Timers pending besides the one the benchmark works with. */
    @Param({"0", "1000", "100000"})
    public int pending;

    private Timers timers;
    private long now;
    private long seq;

    /** Fills the heap with timers due between now and now + 10 s, none of which fires. */
    @Setup
    public void setUp() {
        timers = new Timers();
        now = 1L << 40;
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < pending; i++) {
            timers.schedule(now + 1 + random.nextLong(SPAN), NOTHING);
        }
    }

    /**
     * A connect deadline's life in the common case: scheduled at now + 5 s (amid the others), then
     * cancelled because the connect succeeded.
     */
    @Benchmark
    public boolean scheduleThenCancel() {
        Timers.Timer t = timers.schedule(now + SPAN / 2 + (seq++ & 1023), NOTHING);
        t.cancel();
        return t.isScheduled();
    }

    /** A timer that is due at once, and the reactor's pass over due timers that fires it. */
    @Benchmark
    public int scheduleThenFire() {
        timers.schedule(now, NOTHING);
        return timers.runDue(now);
    }

    /** What the reactor asks before each select: how long until the earliest deadline. */
    @Benchmark
    public long nanosUntilNext() {
        return timers.nanosUntilNext(now);
    }
}
