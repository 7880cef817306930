package io.github.tcpproxy.fault;

import static io.github.tcpproxy.fault.FlowDirection.BACKEND_TO_CLIENT;
import static io.github.tcpproxy.fault.FlowDirection.CLIENT_TO_BACKEND;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.strategy.LocalityLeastConnectionsStrategy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** The built-in faults' decisions against a fake connection with a clock the test moves. */
class BuiltInFaultsTest {

    /** A connection whose clock the test sets; records what the fault asked for. */
    static final class FakeConnection implements FaultContext {
        long now = 1_000_000_000L;
        final List<Long> resumeAt = new ArrayList<>();
        final List<Runnable> scheduled = new ArrayList<>();
        Ending ended;
        final RandomGenerator random = new SplittableRandom(1);

        @Override
        public long connectionId() {
            return 1;
        }

        @Override
        public InetSocketAddress clientAddress() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        @Override
        public InetSocketAddress backend() {
            return new InetSocketAddress("127.0.0.1", 8080);
        }

        @Override
        public FlowDirection direction() {
            return FlowDirection.BOTH;
        }

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public RandomGenerator random() {
            return random;
        }

        @Override
        public void resume(FlowDirection flow) {
            resumeAt.add(now);
        }

        @Override
        public void resumeAt(FlowDirection flow, long nanoTime) {
            resumeAt.add(nanoTime);
        }

        @Override
        public Scheduled schedule(long nanoTime, Runnable action) {
            scheduled.add(action);
            return () -> { };
        }

        @Override
        public void close() {
            ended = Ending.CLOSE;
        }

        @Override
        public void reset() {
            ended = Ending.RESET;
        }
    }

    private static final long MS = 1_000_000L;

    @Test
    void latencyHoldsEachChunkUntilItsTimeAndJitterStaysInItsRange() {
        FakeConnection c = new FakeConnection();
        ConnectionFault f = Faults.latency(Duration.ofMillis(100), Duration.ofMillis(20), Jitter.UNIFORM).attach(c);
        for (int chunk = 0; chunk < 200; chunk++) {
            long read = c.now;
            c.resumeAt.clear();
            assertThat(f.allow(CLIENT_TO_BACKEND, 10, read)).isZero();
            long release = c.resumeAt.get(0);
            assertThat(release - read).isBetween(80 * MS, 120 * MS);
            c.now = release;
            assertThat(f.allow(CLIENT_TO_BACKEND, 10, read)).as("due now").isEqualTo(10);
        }
    }

    @Test
    void bandwidthGivesAboutTheRateOverASecond() {
        FakeConnection c = new FakeConnection();
        ConnectionFault f = Faults.bandwidth(100_000).attach(c);
        long start = c.now;
        long passed = 0;
        for (int i = 0; i < 100_000 && c.now - start < 1_000 * MS; i++) {
            c.resumeAt.clear();
            int n = f.allow(BACKEND_TO_CLIENT, 64 * 1024, c.now);
            if (n > 0) {
                f.passed(BACKEND_TO_CLIENT, n);
                passed += n;
            } else {
                c.now = c.resumeAt.get(0);
            }
        }
        assertThat(passed).as("bytes in one second at 100 000 bytes/s").isBetween(97_000L, 106_000L);
    }

    @Test
    void slicerCutsSlicesOfTheGivenSizesWithPauses() {
        FakeConnection c = new FakeConnection();
        ConnectionFault f = Faults.slicer(100, 10, Duration.ofMillis(5)).attach(c);
        for (int i = 0; i < 50; i++) {
            int n = f.allow(CLIENT_TO_BACKEND, 10_000, 0);
            assertThat(n).isBetween(90, 110);
            f.passed(CLIENT_TO_BACKEND, n);
            c.resumeAt.clear();
            assertThat(f.allow(CLIENT_TO_BACKEND, 10_000, 0)).as("pause after a slice").isZero();
            c.now = c.resumeAt.get(0);
            assertThat(c.now).isPositive();
        }
    }

    @Test
    void limitDataPassesExactlyTheLimitThenEnds() {
        FakeConnection c = new FakeConnection();
        ConnectionFault f = Faults.limitData(1000, Ending.RESET).attach(c);
        f.start();
        int total = 0;
        for (int i = 0; i < 10; i++) {
            int n = f.allow(BACKEND_TO_CLIENT, 300, 0);
            if (n == 0) {
                break;
            }
            f.passed(BACKEND_TO_CLIENT, n);
            total += n;
        }
        assertThat(total).isEqualTo(1000);
        assertThat(c.ended).isEqualTo(Ending.RESET);
        assertThat(f.allow(CLIENT_TO_BACKEND, 10, 0)).as("the other direction counts apart").isEqualTo(10);
    }

    @Test
    void slowCloseHoldsTheFinForItsDelay() {
        FakeConnection c = new FakeConnection();
        ConnectionFault f = Faults.slowClose(Duration.ofMillis(50)).attach(c);
        assertThat(f.allowEnd(CLIENT_TO_BACKEND)).isFalse();
        c.now = c.resumeAt.get(0);
        assertThat(f.allowEnd(CLIENT_TO_BACKEND)).isTrue();
    }

    @Test
    void timeoutAndCloseAfterScheduleTheirEnd() {
        FakeConnection c = new FakeConnection();
        ConnectionFault t = Faults.timeout(Duration.ofMillis(10)).attach(c);
        t.start();
        assertThat(t.allow(CLIENT_TO_BACKEND, 1, 0)).isZero();
        c.scheduled.get(0).run();
        assertThat(c.ended).isEqualTo(Ending.CLOSE);

        FakeConnection d = new FakeConnection();
        Faults.blackHole().attach(d).start();
        assertThat(d.scheduled).as("a black hole never closes").isEmpty();

        FakeConnection e = new FakeConnection();
        Faults.resetAfter(Duration.ofMillis(10)).attach(e).start();
        e.scheduled.get(0).run();
        assertThat(e.ended).isEqualTo(Ending.RESET);
    }

    @Test
    void connectPhaseFaults() {
        FakeConnection c = new FakeConnection();
        assertThat(Faults.backendDown().attach(c).allowConnect(c.backend())).isFalse();
        Faults.acceptThenReset().attach(c).start();
        assertThat(c.ended).isEqualTo(Ending.RESET);
        assertThat(Faults.refuseConnections().refusesNewConnections()).isTrue();
        assertThat(Faults.refuseConnections().attach(c)).isNull();
    }

    /**
     * Huge latencies with normal jitter: base + offset wrapped round to a delay of 0 for every
     * draw above the mean, as well as the legitimate 0 (cut from below) for every draw more than
     * one jitter below it; with jitter = latency that is about 32 % of chunks released at once
     * instead of about 16 %. (The random source is seeded: the count is the same every run.)
     */
    @Test
    void hugeLatencyWithNormalJitterIsNotWrappedRoundToNoDelay() {
        FakeConnection c = new FakeConnection();
        Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
        ConnectionFault f = Faults.latency(forever, forever, Jitter.NORMAL).attach(c);
        int released = 0;
        for (int chunk = 0; chunk < 1000; chunk++) {
            // Each chunk read a little before now, a new delay drawn for each: 0 releases it.
            if (f.allow(CLIENT_TO_BACKEND, 10, c.now - chunk - 1) > 0) {
                released++;
            }
        }
        assertThat(released).as("chunks of 1000 released at once").isBetween(100, 220);
    }

    /** Durations too long for a long of nanoseconds threw ArithmeticException; they are cut instead. */
    @Test
    void durationsTooLongForNanosecondsAreCutNotAnArithmeticError() {
        Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
        assertThat(Faults.latency(forever)).isNotNull();
        assertThat(Faults.slowClose(forever)).isNotNull();
        assertThat(Faults.delayFirstByte(forever)).isNotNull();
        assertThat(Faults.timeout(forever)).isNotNull();
        assertThat(new LocalityLeastConnectionsStrategy(forever)).isNotNull();
    }
}
