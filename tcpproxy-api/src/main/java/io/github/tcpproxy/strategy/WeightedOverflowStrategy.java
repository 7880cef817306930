package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Set;

/**
 * IPVS's {@code ovf}: the eligible backend with the highest weight among those whose active
 * connections are at most their weight; ties go to the earlier backend. The weight acts as a
 * soft connection limit: the first backend takes connections until it holds as many as its
 * weight, then they overflow to the next highest, and so on; when all are past their weight,
 * there is no backend. Stateless and thread-safe.
 */
public final class WeightedOverflowStrategy implements Strategy {

    /** Creates the strategy; it keeps no state, so one instance may serve any number of proxies. */
    public WeightedOverflowStrategy() {
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        BackendView best = null;
        int bestWeight = 0;
        for (int i = 0, n = backends.size(); i < n; i++) {
            BackendView b = backends.get(i);
            int w = b.weight();
            if (w > bestWeight && b.activeConnections() <= w && context.isEligible(b)) {
                best = b;
                bestWeight = w;
            }
        }
        return best;
    }

    /** Registers {@code weighted-overflow} (alias {@code ovf}); takes no options. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "weighted-overflow";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("ovf");
        }

        @Override
        public String description() {
            return "the highest-weight available backend whose active connections do not exceed its weight";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown();
            return new WeightedOverflowStrategy();
        }
    }
}
