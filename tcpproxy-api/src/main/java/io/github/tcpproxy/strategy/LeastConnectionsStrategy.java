package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Set;

/**
 * IPVS's {@code lc}: the eligible backend with the least connection overhead,
 * {@code 256 * active + inactive}, whatever its weight (weight 0 still means drained). Ties go to
 * the earlier backend. Stateless and thread-safe.
 */
public final class LeastConnectionsStrategy implements Strategy {

    /** Creates the strategy; it keeps no state, so one instance may serve any number of proxies. */
    public LeastConnectionsStrategy() {
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        BackendView least = null;
        long leastLoad = 0;
        for (int i = 0, n = backends.size(); i < n; i++) {
            BackendView b = backends.get(i);
            if (!context.isEligible(b)) {
                continue;
            }
            long load = Scheduling.overhead(b);
            if (least == null || load < leastLoad) {
                least = b;
                leastLoad = load;
            }
        }
        return least;
    }

    /** Registers {@code least-connections} (alias {@code lc}); takes no options. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "least-connections";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("lc");
        }

        @Override
        public String description() {
            return "the available backend with the fewest connections (256 x active + inactive), weights ignored";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown();
            return new LeastConnectionsStrategy();
        }
    }
}
