package io.github.tcpproxy.nio;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Set;

/**
 * A user's strategy, registered in the test resources' {@code META-INF/services}: every
 * connection to the last eligible backend. Used by {@link CustomStrategyTest}.
 */
public final class AlwaysLastStrategyProvider implements StrategyProvider {
    /** The name it is registered under. */
    static final String NAME = "always-last";

    /** Called by {@link java.util.ServiceLoader}. */
    public AlwaysLastStrategyProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<String> aliases() {
        return Set.of("last");
    }

    @Override
    public String description() {
        return "every connection to the last eligible backend (a test strategy)";
    }

    @Override
    public Strategy create(StrategyOptions options) {
        options.checkKnown();
        return context -> {
            List<BackendView> backends = context.backends();
            for (int i = backends.size() - 1; i >= 0; i--) {
                if (context.isEligible(backends.get(i))) {
                    return backends.get(i);
                }
            }
            return null;
        };
    }
}
