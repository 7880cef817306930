package io.github.tcpproxy.spi;

import java.util.Set;

/** A user's provider whose name and alias are not lower case; for StrategyLookupTest only. */
public final class MixedCaseStrategyProvider implements StrategyProvider {
    /** Called by ServiceLoader. */
    public MixedCaseStrategyProvider() {
    }

    @Override
    public String name() {
        return "MyBalancer";
    }

    @Override
    public Set<String> aliases() {
        return Set.of("MB");
    }

    @Override
    public Strategy create(StrategyOptions options) {
        options.checkKnown();
        return context -> context.backends().isEmpty() ? null : context.backends().get(0);
    }
}
