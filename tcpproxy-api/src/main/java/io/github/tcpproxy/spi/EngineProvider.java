package io.github.tcpproxy.spi;

import io.github.tcpproxy.RunningProxy;

/**
 * The engine that runs proxies, found by {@link java.util.ServiceLoader} the way SLF4J 2 finds
 * its provider, so that the API never names an engine class. {@code tcpproxy-nio} provides one;
 * users do not normally implement this.
 */
public interface EngineProvider {

    /** A short name for logs, for example {@code nio}. */
    String name();

    /**
     * Binds the listen address and starts the proxy. Returns only once it is listening.
     *
     * @throws io.github.tcpproxy.TcpProxyException naming the address if it cannot listen
     */
    RunningProxy start(ProxyConfig config);
}
