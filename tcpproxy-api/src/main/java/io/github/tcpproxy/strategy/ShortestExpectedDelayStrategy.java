package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Set;

/**
 * IPVS's {@code sed}: the eligible backend with the shortest expected delay,
 * {@code (active + 1) / weight} (the connection being placed counts, inactive ones do not),
 * compared by cross-multiplying. Ties go to the earlier backend. Stateless and thread-safe.
 */
public final class ShortestExpectedDelayStrategy implements Strategy {

    /** Creates the strategy; it keeps no state, so one instance may serve any number of proxies. */
    public ShortestExpectedDelayStrategy() {
    }

    @Override
    public BackendView select(SelectionContext context) {
        return shortestExpectedDelay(context, context.backends());
    }

    /** The {@code sed} pick, shared with {@link NeverQueueStrategy}. */
    static BackendView shortestExpectedDelay(SelectionContext context, List<BackendView> backends) {
        BackendView least = null;
        long leastLoad = 0;
        int leastWeight = 0;
        for (int i = 0, n = backends.size(); i < n; i++) {
            BackendView b = backends.get(i);
            int w = b.weight();
            if (w <= 0 || !context.isEligible(b)) {
                continue;
            }
            long load = b.activeConnections() + 1L;
            if (least == null || Scheduling.lessPerWeight(load, w, leastLoad, leastWeight)) {
                least = b;
                leastLoad = load;
                leastWeight = w;
            }
        }
        return least;
    }

    /** Registers {@code shortest-expected-delay} (alias {@code sed}); takes no options. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "shortest-expected-delay";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("sed");
        }

        @Override
        public String description() {
            return "the available backend with the least (active + 1) / weight: the shortest expected delay";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown();
            return new ShortestExpectedDelayStrategy();
        }
    }
}
