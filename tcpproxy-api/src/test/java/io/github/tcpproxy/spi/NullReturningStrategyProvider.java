package io.github.tcpproxy.spi;

/** A broken user provider: create() returns null. For StrategyLookupTest only. */
public final class NullReturningStrategyProvider implements StrategyProvider {
    /** Called by ServiceLoader. */
    public NullReturningStrategyProvider() {
    }

    @Override
    public String name() {
        return "returns-null";
    }

    @Override
    public Strategy create(StrategyOptions options) {
        return null;
    }
}
