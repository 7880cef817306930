package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Set;

/**
 * IPVS's {@code fo}: every new connection goes to the eligible backend with the highest
 * weight; ties go to the earlier backend. Give the primary the highest weight and the standbys
 * lower ones: they take over, in weight order, when the primary is down, drained, full or failed
 * to connect. Stateless and thread-safe.
 */
public final class WeightedFailoverStrategy implements Strategy {

    /** Creates the strategy; it keeps no state, so one instance may serve any number of proxies. */
    public WeightedFailoverStrategy() {
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        BackendView best = null;
        int bestWeight = 0;
        for (int i = 0, n = backends.size(); i < n; i++) {
            BackendView b = backends.get(i);
            int w = b.weight();
            if (w > bestWeight && context.isEligible(b)) {
                best = b;
                bestWeight = w;
            }
        }
        return best;
    }

    /** Registers {@code weighted-failover} (alias {@code fo}); takes no options. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "weighted-failover";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("fo");
        }

        @Override
        public String description() {
            return "the available backend with the highest weight; the next one takes over when it fails";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown();
            return new WeightedFailoverStrategy();
        }
    }
}
