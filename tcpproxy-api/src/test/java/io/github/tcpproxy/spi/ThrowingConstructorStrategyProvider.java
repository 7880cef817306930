package io.github.tcpproxy.spi;

/** A broken user provider: its constructor throws. For StrategyLookupTest only. */
public final class ThrowingConstructorStrategyProvider implements StrategyProvider {
    /** Called by ServiceLoader; fails. */
    public ThrowingConstructorStrategyProvider() {
        throw new IllegalStateException("broken provider");
    }

    @Override
    public String name() {
        return "never-constructed";
    }

    @Override
    public Strategy create(StrategyOptions options) {
        return null;
    }
}
