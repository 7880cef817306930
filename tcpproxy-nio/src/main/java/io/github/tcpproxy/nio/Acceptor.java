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
 * Accepts clients on one listen socket registered with one reactor, checks each against the
 * access lists and limits ({@link Admission}: a refused client is closed at once, before any
 * backend is contacted) and serves the others. With a single listen socket (the portable mode)
 * the acceptor on the first reactor hands each client to the reactors in turn; with one
 * {@code SO_REUSEPORT} socket per reactor (Linux) each acceptor keeps the clients it accepts, so
 * no client crosses threads. When {@code accept} fails (typically: out of file descriptors) it
 * stops listening for a moment instead of spinning on a socket that stays ready. Reactor thread
 * only.
 */
final class Acceptor implements Handler {
    private static final Logger log = LoggerFactory.getLogger(Acceptor.class);

    /** Accepts per readiness event at most, so the acceptor's reactor keeps relaying too. */
    private static final int MAX_ACCEPTS_PER_EVENT = 64;
    /** How long to stop accepting after accept() failed. */
    static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final NioProxy proxy;
    private final Reactor reactor;
    /** Replaced when listening stops and starts again (the refuse-connections fault). */
    private ServerSocketChannel server;
    /**
     * Whether clients go to every reactor in turn (one listen socket) or stay on this one (one
     * {@code SO_REUSEPORT} socket per reactor).
     */
    private final boolean handOff;
    private SelectionKey key;
    private Timers.Timer resumeTimer;
    private int next;
    private long lastFailureLog;
    private long failuresSinceLog;
    private long lastRefusalLog = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    private long refusedSinceLog;

    Acceptor(NioProxy proxy, Reactor reactor, ServerSocketChannel server, boolean handOff) {
        this.proxy = proxy;
        this.reactor = reactor;
        this.server = server;
        this.handOff = handOff;
    }

    Reactor reactor() {
        return reactor;
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
                Reactor.closeQuietly(client);
                continue;
            }
            RefusalReason refusal = proxy.admit(address.getAddress());
            if (refusal != null) {
                refuse(client, address, refusal);
                continue;
            }
            if (!handOff) {
                reactor.adopt(client, address);
                continue;
            }
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
        // Counted and told to the listeners before the close, so that whoever sees the client's
        // connection end (a test, the client itself) finds it counted and reported.
        switch (reason) {
            case DENIED -> reactor.refusedDenied++;
            case MAX_CONNECTIONS -> reactor.refusedMaxConnections++;
            case MAX_CONNECTIONS_PER_CLIENT -> reactor.refusedMaxConnectionsPerClient++;
            case RATE_LIMITED -> reactor.refusedRateLimited++;
            default -> throw new AssertionError(reason);
        }
        if (proxy.events != null) {
            proxy.events.refused(address, reason);
        }
        Reactor.closeQuietly(client);
        refusedSinceLog++;
        long now = System.nanoTime();
        if (now - lastRefusalLog >= TimeUnit.SECONDS.toNanos(1)) {
            log.warn("refused {} client(s) on {} in the last second; the last: {} ({})", refusedSinceLog,
                    Addresses.format(proxy.localAddress()), Addresses.format(address), describe(reason));
            lastRefusalLog = now;
            refusedSinceLog = 0;
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

    /**
     * Stops or starts listening, for faults that refuse clients: stopping closes the listen
     * socket (clients are refused); starting binds a new one to the same address. Reactor thread.
     *
     * @throws IOException if the address cannot be bound again
     */
    void setListening(boolean listening) throws IOException {
        if (!listening) {
            if (server.isOpen()) {
                close();
                // A registered channel's socket is closed only when a selection drops its key:
                // select now, so that clients are refused once this returns, not after a moment.
                reactor.selectNow();
            }
            return;
        }
        if (server.isOpen() || !proxy.isRunning()) {
            return; // listening already, or close() has begun: it must not find a new socket open
        }
        // Without hand-off this socket is one of a group: it joins the others again.
        ServerSocketChannel reopened = Listeners.openUnbound(proxy.localAddress(), !handOff,
                proxy.config.receiveBufferSize());
        try {
            reopened.bind(proxy.localAddress(), proxy.config.acceptBacklog());
            key = reopened.register(reactor.selector, SelectionKey.OP_ACCEPT, this);
        } catch (IOException e) {
            reopened.close();
            throw e;
        }
        server = reopened;
    }

    @Override
    public void abort() {
        close();
    }
}
