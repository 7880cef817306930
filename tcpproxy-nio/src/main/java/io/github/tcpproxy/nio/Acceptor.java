package io.github.tcpproxy.nio;

import io.github.tcpproxy.RefusalReason;
import io.github.tcpproxy.internal.Addresses;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts clients on the listen socket, registered with the first reactor, checks each against the
 * access lists and limits ({@link Admission}: a refused client is closed at once, before any
 * backend is contacted) and hands each one served to the reactors in turn. When {@code accept}
 * fails (typically: out of file descriptors) it stops
 * listening for a moment instead of spinning on a socket that stays ready. Reactor thread only.
 */
final class Acceptor implements Handler {
    private static final Logger log = LoggerFactory.getLogger(Acceptor.class);

    /** Accepts per readiness event at most, so the acceptor's reactor keeps relaying too. */
    private static final int MAX_ACCEPTS_PER_EVENT = 64;
    /** How long to stop accepting after accept() failed. */
    static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final NioProxy proxy;
    private final Reactor reactor;
    private final ServerSocketChannel server;
    private SelectionKey key;
    private Timers.Timer resumeTimer;
    private int next;
    private long lastFailureLog;
    private long failuresSinceLog;
    private long lastRefusalLog = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    private long refusedSinceLog;

    Acceptor(NioProxy proxy, Reactor reactor, ServerSocketChannel server) {
        this.proxy = proxy;
        this.reactor = reactor;
        this.server = server;
    }

    /** Registers the listen socket; call before the reactor thread starts, or on it. */
    void register() throws IOException {
        key = server.register(reactor.selector, SelectionKey.OP_ACCEPT, this);
    }

    @Override
    public void onReady(SelectionKey key) {
        Reactor[] reactors = proxy.reactors;
        for (int i = 0; i < MAX_ACCEPTS_PER_EVENT; i++) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                pause(e);
                return;
            }
            if (client == null) {
                return;
            }
            InetSocketAddress address;
            try {
                address = (InetSocketAddress) client.getRemoteAddress();
            } catch (IOException e) {
                log.debug("client lost before it could be served: {}", e.toString());
                closeQuietly(client);
                continue;
            }
            RefusalReason refusal = proxy.admission.admit(address.getAddress(), System.nanoTime());
            if (refusal != null) {
                refuse(client, address, refusal);
                continue;
            }
            proxy.connectionStarted();
            Reactor target = reactors[next];
            next = next + 1 == reactors.length ? 0 : next + 1;
            if (target == reactor) {
                target.adopt(client, address);
            } else {
                target.execute(() -> target.adopt(client, address));
            }
        }
    }

    /** Closes a client that may not be served, counts it, and logs at most once a second. */
    private void refuse(SocketChannel client, InetSocketAddress address, RefusalReason reason) {
        // Counted before the close, so that a client that sees its connection end sees it counted.
        switch (reason) {
            case DENIED -> reactor.refusedDenied++;
            case MAX_CONNECTIONS -> reactor.refusedMaxConnections++;
            case MAX_CONNECTIONS_PER_CLIENT -> reactor.refusedMaxConnectionsPerClient++;
            case RATE_LIMITED -> reactor.refusedRateLimited++;
            default -> throw new AssertionError(reason);
        }
        closeQuietly(client);
        refusedSinceLog++;
        long now = System.nanoTime();
        if (now - lastRefusalLog >= TimeUnit.SECONDS.toNanos(1)) {
            log.warn("refused {} client(s) on {} in the last second; the last: {} ({})", refusedSinceLog,
                    Addresses.format(proxy.localAddress()), Addresses.format(address), describe(reason));
            lastRefusalLog = now;
            refusedSinceLog = 0;
        }
        if (proxy.events != null) {
            proxy.events.refused(address, reason);
        }
    }

    private static String describe(RefusalReason reason) {
        return switch (reason) {
            case DENIED -> "denied by the access lists";
            case MAX_CONNECTIONS -> "max connections reached";
            case MAX_CONNECTIONS_PER_CLIENT -> "max connections per client reached";
            case RATE_LIMITED -> "connection rate per client exceeded";
        };
    }

    private static void closeQuietly(SocketChannel client) {
        try {
            client.close();
        } catch (IOException e) {
            log.trace("close failed", e);
        }
    }

    private void pause(IOException cause) {
        if (!server.isOpen()) {
            return;
        }
        failuresSinceLog++;
        reactor.acceptFailures++;
        long now = System.nanoTime();
        if (now - lastFailureLog >= TimeUnit.SECONDS.toNanos(1)) {
            log.warn("accept on {} failed ({} time(s) in the last second): {}; pausing accepts for {} ms",
                    Addresses.format(proxy.localAddress()), failuresSinceLog, cause.toString(),
                    TimeUnit.NANOSECONDS.toMillis(PAUSE_NANOS));
            lastFailureLog = now;
            failuresSinceLog = 0;
        }
        key.interestOps(0);
        resumeTimer = reactor.timers.schedule(now + PAUSE_NANOS, this::resume);
    }

    private void resume() {
        resumeTimer = null;
        if (key.isValid()) {
            key.interestOps(SelectionKey.OP_ACCEPT);
        }
    }

    /** Stops accepting: closes the listen socket. */
    void close() {
        if (resumeTimer != null) {
            resumeTimer.cancel();
            resumeTimer = null;
        }
        try {
            server.close();
        } catch (IOException e) {
            log.debug("closing the listen socket failed", e);
        }
    }

    @Override
    public void abort() {
        close();
    }
}
