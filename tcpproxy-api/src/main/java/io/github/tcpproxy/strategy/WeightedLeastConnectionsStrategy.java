package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.Set;

/**
 * IPVS's {@code wlc}: the eligible backend with the least connection overhead per unit of
 * weight, {@code (256 * active + inactive) / weight}, compared by cross-multiplying. Ties go to
 * the earlier backend. Stateless and thread-safe.
 */
public final class WeightedLeastConnectionsStrategy implements Strategy {

    /** Creates the strategy; it keeps no state, so one instance may serve any number of proxies. */
    public WeightedLeastConnectionsStrategy() {
    }

    @Override
    public BackendView select(SelectionContext context) {
        return Scheduling.weightedLeastConnections(context, context.backends());
    }

    /** Registers {@code weighted-least-connections} (alias {@code wlc}); takes no options. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "weighted-least-connections";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("wlc");
        }

        @Override
        public String description() {
            return "the available backend with the fewest connections (256 x active + inactive) per unit of weight";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown();
            return new WeightedLeastConnectionsStrategy();
        }
    }
}
