package io.github.tcpproxy.bench;

import java.net.InetSocketAddress;

/** No proxy: the workloads connect straight to the bench's backends. The reference column. */
final class DirectTarget extends Target {
    private final InetSocketAddress stream;
    private final InetSocketAddress rate;
    private final InetSocketAddress idle;

    DirectTarget(InetSocketAddress stream, InetSocketAddress rate, InetSocketAddress idle) {
        super("direct");
        this.stream = stream;
        this.rate = rate;
        this.idle = idle;
    }

    @Override
    InetSocketAddress streamAddress() {
        return stream;
    }

    @Override
    InetSocketAddress rateAddress() {
        return rate;
    }

    @Override
    InetSocketAddress idleAddress() {
        return idle;
    }

    @Override
    public void close() {
    }
}
