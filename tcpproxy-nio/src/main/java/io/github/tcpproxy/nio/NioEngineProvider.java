package io.github.tcpproxy.nio;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.spi.EngineProvider;
import io.github.tcpproxy.spi.ProxyConfig;

/**
 * The NIO engine, as found by {@link java.util.ServiceLoader}. Public only because the service
 * loader needs it; use {@link io.github.tcpproxy.TcpProxy#builder()} instead.
 */
public final class NioEngineProvider implements EngineProvider {

    /** Called by {@link java.util.ServiceLoader}. */
    public NioEngineProvider() {
    }

    @Override
    public String name() {
        return "nio";
    }

    @Override
    public RunningProxy start(ProxyConfig config) {
        return NioProxy.start(config);
    }
}
