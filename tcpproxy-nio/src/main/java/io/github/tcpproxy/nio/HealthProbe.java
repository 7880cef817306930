package io.github.tcpproxy.nio;

import io.github.tcpproxy.HealthCheck;
import io.github.tcpproxy.internal.Nanos;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * Active health checks of one backend, run on one reactor: every interval, a non-blocking TCP
 * connect with a deadline; the result goes to {@link BackendState#checkResult}. When the proxy
 * sends the PROXY protocol, a check that connected sends a LOCAL header before it closes, as
 * HAProxy's checks do by default: a backend that requires the header would otherwise log each
 * check as a broken one. Stops by itself once the backend is removed or the reactor shuts down.
 * Reactor thread only.
 */
final class HealthProbe implements Handler {
    private final Reactor reactor;
    private final BackendState backend;
    private final HealthCheck check;
    /** The PROXY protocol LOCAL header to send once connected, or null. */
    private final ByteBuffer header;
    private SocketChannel channel;
    private Timers.Timer timer;
    private boolean stopped;

    HealthProbe(Reactor reactor, BackendState backend, HealthCheck check) {
        this.reactor = reactor;
        this.backend = backend;
        this.check = check;
        int version = reactor.proxy.sendProxyProtocol;
        this.header = version != 0 ? ByteBuffer.wrap(ProxyHeader.local(version)).asReadOnlyBuffer() : null;
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
                connected();
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
                connected();
            }
        } catch (IOException e) {
            done(false, e.toString());
        }
    }

    private void connected() {
        if (header != null) {
            // A few bytes into an empty send buffer: taken whole. The check is a connect check,
            // so a backend that resets at once still connected; the write's outcome is not its.
            try {
                channel.write(header.duplicate());
            } catch (IOException e) {
                Connection.log.trace("sending the PROXY header of a health check failed", e);
            }
        }
        done(true, "connected");
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
