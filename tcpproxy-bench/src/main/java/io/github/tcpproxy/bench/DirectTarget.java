package io.github.tcpproxy.bench;

import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;

/** No proxy: the workloads connect straight to the bench's backends. The reference column. */
final class DirectTarget extends Target {
    private final Map<Service, InetSocketAddress> backends;

    DirectTarget(Map<Service, InetSocketAddress> backends) {
        super("direct");
        this.backends = new EnumMap<>(backends);
    }

    @Override
    Map<Service, InetSocketAddress> addresses() {
        return backends;
    }

    @Override
    public void close() {
    }
}
