package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class WeightedRoundRobinStrategyTest {
    private final WeightedRoundRobinStrategy wrr = new WeightedRoundRobinStrategy();

    @Test
    void interleavesByWeightAsIpvs() {
        Cluster c = Cluster.of(4, 3, 2);
        assertThat(c.picks(wrr, 18)).isEqualTo("A A B A B C A B C A A B A B C A B C");
    }

    @Test
    void stepsByTheGcdOfTheWeights() {
        assertThat(Cluster.of(4, 2).picks(new WeightedRoundRobinStrategy(), 6)).isEqualTo("A A B A A B");
        assertThat(Cluster.of(6, 4, 2).picks(new WeightedRoundRobinStrategy(), 6)).isEqualTo("A A B A B C");
        assertThat(Cluster.of(1, 1, 1).picks(new WeightedRoundRobinStrategy(), 4)).isEqualTo("A B C A");
    }

    @Test
    void drainedBackendsTakeNothing() {
        Cluster c = Cluster.of(2, 0, 1);
        assertThat(c.picks(wrr, 6)).isEqualTo("A A C A A C");
        assertThat(Cluster.of(0, 0).pick(new WeightedRoundRobinStrategy())).isEqualTo("-");
    }

    @Test
    void skipsIneligibleBackendsAndKeepsTheProportionsOfTheOthers() {
        Cluster c = Cluster.of(4, 3, 2);
        c.get("A").down();
        assertThat(c.tally(wrr, 900)).containsExactly(0, 540, 360);
        c.get("B").down();
        c.get("C").down();
        assertThat(c.pick(wrr)).isEqualTo("-");
        c.get("A").up();
        assertThat(c.pick(wrr)).isEqualTo("A");
    }

    @Test
    void anExcludedBackendIsSkippedForThatClientOnly() {
        Cluster c = Cluster.of(1, 1, 1);
        assertThat(c.pick(wrr)).isEqualTo("A");
        assertThat(c.context().exclude("B").pick(wrr)).isEqualTo("C");
        assertThat(c.pick(wrr)).isEqualTo("A");
    }

    @Test
    void aHeavyBackendBeingDownDoesNotMakeEveryPickWalkItsWeight() {
        Cluster c = Cluster.of(2_000_000_000, 1);
        c.get("A").down();
        long before = c.reads();
        assertThat(c.picks(wrr, 1000)).doesNotContain("A").doesNotContain("-");
        // Walking A's weight down would read the backends about 2e9 times per pick.
        assertThat(c.reads() - before).as("reads of the backends' weight and state in 1,000 picks")
                .isLessThan(1000L * 100);
    }

    @Test
    void aWeightThatKeepsChangingStarvesNoBackend() {
        // Slow start changes a recovering backend's weight between picks; each change rebuilds the
        // table, and going back to the first backend every time would never reach C.
        Cluster c = Cluster.of(1, 10, 10);
        int[] tally = new int[3];
        for (int i = 0; i < 900; i++) {
            c.get("A").weight(1 + i % 9);
            tally[c.get(c.pick(wrr)).index()]++;
        }
        assertThat(tally[2]).as("picks of C").isGreaterThan(300);
        assertThat(tally[1]).as("picks of B").isGreaterThan(300);
    }

    @Test
    void aNewListWithTheSameBackendsKeepsThePlaceInTheCycle() {
        Cluster c = Cluster.of(10, 10, 10);
        StringBuilder picks = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            c.republish(); // as updateBackend or setWeight of any backend does
            picks.append(c.pick(wrr));
        }
        assertThat(picks).hasToString("ABCABC");
    }

    @Test
    void removingTheBackendPickedLastGoesOnFromTheHead() {
        Cluster c = Cluster.of(1, 1, 1);
        assertThat(c.picks(wrr, 2)).isEqualTo("A B");
        c.remove("B");
        assertThat(c.picks(wrr, 4)).isEqualTo("A C A C");
    }

    @Test
    void followsAWeightChange() {
        Cluster c = Cluster.of(1, 1);
        assertThat(c.picks(wrr, 4)).isEqualTo("A B A B");
        c.get("B").weight(3);
        assertThat(c.tally(wrr, 400)).containsExactly(100, 300);
        c.add(4);
        assertThat(c.tally(wrr, 800)).containsExactly(100, 300, 400);
    }

    @Test
    void concurrentCallersShareOneSequence() throws Exception {
        Cluster c = Cluster.of(4, 3, 2);
        int threads = 4;
        int perThread = 9 * 2500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return c.tally(wrr, perThread);
                }));
            }
            go.countDown();
            int[] total = new int[3];
            for (Future<int[]> f : results) {
                int[] r = f.get(5, TimeUnit.SECONDS);
                for (int i = 0; i < 3; i++) {
                    total[i] += r[i];
                }
            }
            // Each pick advances the shared position exactly once: whole cycles give exact shares.
            assertThat(total).containsExactly(4 * 2500 * threads, 3 * 2500 * threads, 2 * 2500 * threads);
        } finally {
            pool.shutdownNow();
        }
    }
}
