package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Set;

/**
 * IPVS's {@code nq}: the first eligible backend with no active connection, so that nothing
 * waits behind another connection while a server is idle; if every backend is busy, the
 * {@linkplain ShortestExpectedDelayStrategy shortest expected delay} pick. Stateless and
 * thread-safe.
 */
public final class NeverQueueStrategy implements Strategy {

    /** Creates the strategy; it keeps no state, so one instance may serve any number of proxies. */
    public NeverQueueStrategy() {
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        for (int i = 0, n = backends.size(); i < n; i++) {
            BackendView b = backends.get(i);
            if (b.activeConnections() == 0 && context.isEligible(b)) {
                return b;
            }
        }
        return ShortestExpectedDelayStrategy.shortestExpectedDelay(context, backends);
    }

    /** Registers {@code never-queue} (alias {@code nq}); takes no options. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "never-queue";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("nq");
        }

        @Override
        public String description() {
            return "the first available idle backend (no active connection), else shortest expected delay";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown();
            return new NeverQueueStrategy();
        }
    }
}
