package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * IPVS's {@code rr}: each new connection goes to the next eligible backend in turn, whatever the
 * weights (only weight 0 is skipped). Thread-safe; a single atomic counter keeps the turn.
 */
public final class RoundRobinStrategy implements Strategy {
    private final AtomicInteger next = new AtomicInteger();

    /** A round robin that starts with the first backend. */
    public RoundRobinStrategy() {
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        int n = backends.size();
        if (n == 0) {
            return null;
        }
        int start = Math.floorMod(next.getAndIncrement(), n);
        for (int i = 0; i < n; i++) {
            BackendView b = backends.get((start + i) % n);
            if (context.isEligible(b)) {
                if (i > 0) {
                    // Skipped some: move the turn past the one chosen, as IPVS does.
                    next.set(start + i + 1);
                }
                return b;
            }
        }
        return null;
    }

    /** Registers {@code round-robin} (alias {@code rr}); takes no options. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "round-robin";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("rr");
        }

        @Override
        public String description() {
            return "each new connection to the next available backend in turn";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown();
            return new RoundRobinStrategy();
        }
    }
}
