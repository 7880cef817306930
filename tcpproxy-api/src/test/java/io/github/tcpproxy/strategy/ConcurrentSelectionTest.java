package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.Strategies;
import io.github.tcpproxy.spi.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every strategy called from several threads while weights, health, counters and the backend
 * list change under it, as on the reactor threads: no exception, and every answer is one of the
 * backends of the list it was given, or none.
 */
@Timeout(60)
class ConcurrentSelectionTest {

    @ParameterizedTest
    @ValueSource(strings = {"rr", "wrr", "lc", "wlc", "sed", "nq", "lblc", "lblcr", "dh,fallback=true",
        "sh,fallback=true,port=true", "mh,fallback=true", "mh", "fo", "ovf", "twos", "random", "p2c", "p2c,seed=3"})
    void survivesConcurrentChanges(String spec) throws Exception {
        Strategy strategy = Strategies.create(spec);
        Cluster c = Cluster.of(3, 1, 2, 5, 1, 4);
        int pickers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(pickers);
        AtomicBoolean done = new AtomicBoolean();
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < pickers; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    go.await();
                    int answered = 0;
                    for (int i = 0; i < 10_000; i++) {
                        Cluster.Context ctx = c.from(Cluster.client(i * pickers + seed));
                        BackendView b = strategy.select(ctx);
                        if (b != null) {
                            assertThat(ctx.backends()).contains(b);
                            answered++;
                        }
                    }
                    return answered;
                }));
            }
            go.countDown();
            int round = 0;
            while (!results.stream().allMatch(Future::isDone)) {
                Cluster.Node n = c.get(round % c.size());
                switch (round % 6) {
                    case 0 -> n.weight(round % 7);
                    case 1 -> n.down();
                    case 2 -> n.up().active(round % 5).inactive(round % 3);
                    case 3 -> c.add(1 + round % 4);
                    case 4 -> {
                        if (c.size() > 3) {
                            c.remove(c.get(0).name);
                        }
                    }
                    default -> n.maxConnections(round % 2 == 0 ? 0 : 3);
                }
                round++;
                // Pace the changes (a change every 20 us) so that strategies with tables still
                // spend most calls selecting rather than rebuilding.
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
            int answered = 0;
            for (Future<Integer> f : results) {
                answered += f.get(30, TimeUnit.SECONDS);
            }
            assertThat(answered).as("some picks found a backend").isPositive();
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
    }
}
