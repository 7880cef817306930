package io.github.tcpproxy.nio;

import io.github.tcpproxy.HealthCheck;
import io.github.tcpproxy.internal.Nanos;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * Active health checks of one backend, run on one reactor: every interval, a non-blocking TCP
 * connect with a deadline; the result goes to {@link BackendState#checkResult}. Stops by itself
 * once the backend is removed or the reactor shuts down. Reactor thread only.
 */
final class HealthProbe implements Handler {
    private final Reactor reactor;
    private final BackendState backend;
    private final HealthCheck check;
    private SocketChannel channel;
    private Timers.Timer timer;
    private boolean stopped;

    HealthProbe(Reactor reactor, BackendState backend, HealthCheck check) {
        this.reactor = reactor;
        this.backend = backend;
        this.check = check;
    }

    /** Runs the first check now. */
    void start() {
        probe();
    }

    private void probe() {
        timer = null;
        if (stopped || backend.isRemoved()) {
            return;
        }
        InetSocketAddress address = backend.address();
        try {
            channel = SocketChannel.open(address.getAddress() instanceof Inet4Address
                    ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
            channel.configureBlocking(false);
            if (channel.connect(address)) {
                done(true, "connected");
                return;
            }
            channel.register(reactor.selector, SelectionKey.OP_CONNECT, this);
            timer = reactor.timers.schedule(System.nanoTime() + Nanos.of(check.timeout()),
                    () -> done(false, "connect timed out after " + check.timeout().toMillis() + " ms"));
        } catch (IOException e) {
            done(false, e.toString());
        }
    }

    @Override
    public void onReady(SelectionKey key) {
        try {
            if (channel.finishConnect()) {
                done(true, "connected");
            }
        } catch (IOException e) {
            done(false, e.toString());
        }
    }

    private void done(boolean ok, String detail) {
        if (timer != null) {
            timer.cancel();
        }
        closeChannel();
        if (stopped) {
            return;
        }
        backend.checkResult(ok, detail);
        timer = reactor.timers.schedule(System.nanoTime() + Nanos.of(check.interval()), this::probe);
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                Connection.log.trace("closing a health check socket failed", e);
            }
            channel = null;
        }
    }

    @Override
    public void abort() {
        stopped = true;
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        closeChannel();
    }
}
