package io.github.tcpproxy.nio;

import io.github.tcpproxy.ConnectionInfo;
import io.github.tcpproxy.ConnectionState;
import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.ConnectionSummary.End;
import io.github.tcpproxy.ConnectionSummary.Side;
import io.github.tcpproxy.internal.Addresses;
import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client connection and its backend connection: connects to a backend chosen by the strategy
 * (trying others when a connect fails), then relays both {@link Direction}s until both have
 * ended. Lives on one reactor for its whole life, so nothing here is locked. Doubles as the
 * {@link SelectionContext} the strategy sees, to cost no extra object per connection.
 */
final class Connection implements Handler, SelectionContext {
    /** Per-connection events at DEBUG; enable this logger to see every connection. */
    static final Logger log = LoggerFactory.getLogger("io.github.tcpproxy.connections");

    private static final int CONNECTING = 0;
    private static final int OPEN = 1;
    private static final int CLOSED = 2;
    /** Reading the client's PROXY protocol header; no backend contacted yet. */
    private static final int HEADER = 3;

    // How this connection is counted on its backend, IPVS style.
    private static final int UNCOUNTED = 0;
    private static final int INACTIVE = 1;
    private static final int ACTIVE = 2;

    final Reactor reactor;
    private final NioProxy proxy;
    private final long id;
    private final long startNanos = System.nanoTime();
    private final SocketChannel client;
    /** The client: the address that connected, or the one its PROXY protocol header gave. */
    private InetSocketAddress clientAddress;
    /** The address that connected, as admitted (limits are counted against it). */
    private final InetSocketAddress peerAddress;
    /**
     * The address the client connected to (as an accepted PROXY protocol header gives it), for a
     * header sent on and for strategies; null until one of them needs it.
     */
    private InetSocketAddress originalDestination;
    /** While reading a PROXY protocol header: what has arrived; after it, the client's first bytes, if any. */
    private ByteBuffer header;
    private SelectionKey clientKey;
    private int clientOps;
    private SocketChannel backend;
    private SelectionKey backendKey;
    private int backendOps;
    private BackendState target;
    private int counted = UNCOUNTED;
    private BackendState[] failed;
    private int failedCount;
    private int attempts;
    /**
     * The connection's one timer, created at its first use and re-armed without allocating: the
     * connect deadline while connecting, then the idle or half-closed deadline.
     */
    private Timers.Timer timer;
    /** When a byte last moved either way; kept only while an idle or half-closed timeout is on. */
    private long lastActivity;
    private final boolean timed;
    /** Whose FIN or reset came first; null while nobody has ended anything. */
    private Side endedFirst;
    /** The side whose socket an I/O failure came from, when a write to it found it; else null. */
    private Side failedSide;
    private int state = CONNECTING;
    /** The listeners have heard of this connection ({@link #announce}). */
    private boolean announced;
    private final Direction up = new Direction(this, true);
    private final Direction down = new Direction(this, false);
    /** The faults in force on this connection, or null (almost always): see {@link FaultChain}. */
    FaultChain faults;

    Connection(Reactor reactor, SocketChannel client, InetSocketAddress clientAddress) {
        this.reactor = reactor;
        this.proxy = reactor.proxy;
        this.client = client;
        this.clientAddress = clientAddress;
        this.peerAddress = clientAddress;
        this.id = proxy.nextConnectionId();
        this.timed = proxy.idleTimeoutNanos > 0 || proxy.halfClosedTimeoutNanos > 0;
        up.other = down;
        down.other = up;
    }

    /** Registers the client and starts connecting to a backend. */
    void start() {
        try {
            proxy.configure(client);
            if (proxy.sendProxyProtocol != 0) {
                originalDestination = (InetSocketAddress) client.getLocalAddress();
            }
            // No interest yet unless a PROXY protocol header is expected: the client's first
            // bytes wait in the kernel until the backend is up.
            clientOps = proxy.config.acceptProxyProtocol() ? SelectionKey.OP_READ : 0;
            clientKey = client.register(reactor.selector, clientOps, this);
        } catch (IOException e) {
            log.debug("#{} client {} lost before it could be served: {}", id, clientAddress, e.toString());
            reset(End.RESET, Side.CLIENT);
            return;
        }
        if (log.isDebugEnabled()) { // the arguments box and allocate even when off
            log.debug("#{} accepted from {}", id, fmt(clientAddress));
        }
        if (proxy.config.acceptProxyProtocol()) {
            // Listeners and faults hear of it once the header has told the client's address.
            state = HEADER;
            // Read no more than the longest v1 header until a v2 header has told its length,
            // so that the client's own bytes read along with it fit in one relay buffer.
            header = ByteBuffer.allocate(ProxyHeader.MAX);
            header.limit(ProxyHeader.MAX_V1);
            timer().reschedule(System.nanoTime() + proxy.proxyProtocolTimeoutNanos);
            return;
        }
        announce();
        if (startFaults()) {
            connectNext();
        }
    }

    /**
     * Starts the faults that select this connection, now that its client's address is known;
     * returns whether it is still open (a fault may end it at once).
     */
    private boolean startFaults() {
        if (proxy.faults.any()) {
            proxy.faults.attachNew(this);
        }
        return state != CLOSED;
    }

    /** Whether it is still waiting for the client's PROXY protocol header. */
    boolean awaitsHeader() {
        return state == HEADER;
    }

    // ---- receiving a PROXY protocol header ----

    /** The client is readable while its header is expected: read what came and parse it. */
    private void readHeader() throws IOException {
        int n = client.read(header);
        ProxyHeader.Parsed parsed;
        try {
            parsed = ProxyHeader.parse(header.array(), header.position());
        } catch (ProxyHeader.Malformed e) {
            headerFailed(e.getMessage(), Side.CLIENT);
            return;
        }
        if (parsed == null) {
            if (n < 0) {
                headerFailed("the client ended its connection after " + header.position()
                        + " byte(s), before its PROXY protocol header was complete", Side.CLIENT);
            } else if (header.position() >= 16 && header.get(0) == 0x0D) {
                // v2 says its length: read exactly up to its end (parse checked it is in bounds).
                int total = 16 + (((header.get(14) & 0xFF) << 8) | (header.get(15) & 0xFF));
                if (total > header.limit()) {
                    header.limit(total);
                }
            }
            return;
        }
        cancelTimer();
        if (parsed.source() != null) {
            clientAddress = parsed.source();
            originalDestination = parsed.destination();
        }
        if (log.isDebugEnabled()) {
            log.debug("#{} PROXY protocol v{} header from {}: client {}", id, parsed.version(), fmt(peerAddress),
                    fmt(clientAddress));
        }
        // What came after the header is the client's own: it goes to the backend first.
        header.flip().position(parsed.length());
        if (!header.hasRemaining()) {
            header = null;
        }
        clientKey.interestOps(0);
        clientOps = 0;
        state = CONNECTING;
        announce();
        if (startFaults()) {
            connectNext();
        }
    }

    /**
     * Tells the listeners that this connection was accepted, once: when it is served, with the
     * client's address (from its PROXY protocol header if one is expected), or at its end if it
     * ended before that, so that they always hear accepted before closed.
     */
    private void announce() {
        if (!announced) {
            announced = true;
            if (proxy.events != null) {
                proxy.events.accepted(id, clientAddress);
            }
        }
    }

    private void headerFailed(String why, Side by) {
        reactor.proxyProtocolErrors++;
        reactor.proxyProtocolErrorsSinceLog++;
        long now = System.nanoTime();
        if (now - reactor.lastProxyProtocolLog >= TimeUnit.SECONDS.toNanos(1)) {
            log.warn("#{} closing client {}: {} ({} PROXY protocol error(s) on this thread in the last second)",
                    id, fmt(peerAddress), why, reactor.proxyProtocolErrorsSinceLog);
            reactor.lastProxyProtocolLog = now;
            reactor.proxyProtocolErrorsSinceLog = 0;
        }
        header = null;
        closeBoth(End.PROXY_PROTOCOL_ERROR, by);
    }

    // ---- SelectionContext ----

    @Override
    public InetSocketAddress clientAddress() {
        return clientAddress;
    }

    @Override
    public InetSocketAddress listenAddress() {
        if (originalDestination == null) {
            // Not the listen address: with a wildcard one, the address this client reached.
            try {
                originalDestination = (InetSocketAddress) client.getLocalAddress(); // kept by the JDK
            } catch (IOException e) {
                return proxy.localAddress(); // closed meanwhile: the nearest answer
            }
        }
        return originalDestination;
    }

    @Override
    public List<BackendView> backends() {
        return proxy.backendViews();
    }

    @Override
    public boolean isExcluded(BackendView backend) {
        for (int i = 0; i < failedCount; i++) {
            if (failed[i] == backend) {
                return true;
            }
        }
        return false;
    }

    /** Leaves {@code b}, which failed for this client, out of its next asks of the strategy. */
    void exclude(BackendState b) {
        if (failed == null) {
            failed = new BackendState[4];
        } else if (failedCount == failed.length) {
            failed = Arrays.copyOf(failed, failedCount * 2);
        }
        failed[failedCount++] = b;
    }

    // ---- connecting ----

    private void connectNext() {
        BackendState chosen = proxy.choose(this);
        if (chosen == null) {
            giveUp();
            return;
        }
        InetSocketAddress address = chosen.address();
        if (faults != null && faults.stopOthers(address) && faults.isEmpty()) {
            faults = null; // moved on from a backend that faults were aimed at
        }
        if (proxy.faults.any()) {
            proxy.faults.onBackendChosen(this, address);
            if (state == CLOSED) {
                return;
            }
        }
        attempts++;
        target = chosen;
        chosen.connections.incrementAndGet();
        count(INACTIVE);
        if (log.isDebugEnabled()) { // the arguments box and allocate even when off
            log.debug("#{} backend {} chosen (attempt {})", id, chosen, attempts);
        }
        if (proxy.events != null) {
            proxy.events.backendChosen(id, chosen.address(), attempts);
        }
        if (faults != null && !faults.allowConnect(address)) {
            onConnectFailed(new ConnectException("connection refused by a fault"));
            return;
        }
        try {
            backend = SocketChannel.open(address.getAddress() instanceof Inet4Address
                    ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
            proxy.configure(backend);
            boolean connected = backend.connect(address);
            backendKey = backend.register(reactor.selector, 0, this);
            // On loopback and fast networks the handshake is often over by now: finishing the
            // connect at once spares a trip through the selector and two interest changes.
            if (connected || backend.finishConnect()) {
                onConnected();
            } else {
                backendKey.interestOps(SelectionKey.OP_CONNECT);
                backendOps = SelectionKey.OP_CONNECT;
                timer().reschedule(System.nanoTime() + proxy.connectTimeoutNanos);
            }
        } catch (IOException e) {
            onConnectFailed(e);
        }
    }

    private void finishConnect() {
        try {
            if (!backend.finishConnect()) {
                return;
            }
        } catch (IOException e) {
            onConnectFailed(e);
            return;
        }
        onConnected();
    }

    private void onConnectTimeout() {
        if (state == CONNECTING && backend != null) {
            onConnectFailed(new ConnectException("connect timed out after "
                    + TimeUnit.NANOSECONDS.toMillis(proxy.connectTimeoutNanos) + " ms"));
        }
    }

    private void onConnectFailed(IOException cause) {
        BackendState failedBackend = target;
        reactor.connectFailures++;
        failedBackend.connectFailed();
        log.debug("#{} connect to {} failed: {}", id, failedBackend, cause.toString());
        if (proxy.events != null) {
            proxy.events.connectFailed(id, failedBackend.address(),
                    cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName());
        }
        cancelTimer();
        reactor.closeAfterDeregistration(backend, backendKey);
        backend = null;
        backendKey = null;
        backendOps = 0;
        count(UNCOUNTED);
        target = null;
        exclude(failedBackend);
        if (attempts < proxy.config.connectAttempts()) {
            connectNext();
        } else {
            giveUp();
        }
    }

    /** No backend could be reached: close the client (a plain close, as HAProxy does). */
    private void giveUp() {
        reactor.noBackend++;
        log.debug("#{} no backend available for {} after {} attempt(s); closing it", id,
                fmt(clientAddress), attempts);
        closeBoth(End.NO_BACKEND, Side.PROXY);
    }

    private void onConnected() {
        cancelTimer();
        state = OPEN;
        count(ACTIVE);
        target.connectSucceeded();
        up.backend = target;
        down.backend = target;
        up.src = client;
        up.dst = backend;
        down.src = backend;
        down.dst = client;
        if (log.isDebugEnabled()) { // the arguments box and allocate even when off
            log.debug("#{} connected {} -> {}", id, fmt(clientAddress), target);
        }
        if (proxy.sendProxyProtocol != 0 || header != null) {
            // The PROXY protocol header to send, then the client's bytes read with its own
            // header, go to the backend before anything else: as the up direction's pending data.
            ByteBuffer first = reactor.buffers.acquireAnyway(); // small, and it cannot wait
            if (first == null) {
                // The JVM is out of direct memory (logged by the pool): the heap will do.
                first = ByteBuffer.allocate(reactor.buffers.bufferSize());
            }
            if (proxy.sendProxyProtocol != 0) {
                ProxyHeader.write(proxy.sendProxyProtocol, clientAddress, originalDestination, first);
                up.uncounted = first.position();
            }
            if (header != null) {
                first.put(header);
                header = null;
            }
            first.flip();
            up.pending = first;
            up.readNanos = System.nanoTime();
            reactor.buffered += first.remaining();
        }
        if (timed) {
            lastActivity = System.nanoTime();
            armActivityTimer();
        }
        if (up.wantsRead()) {
            // The client's first bytes have most likely been waiting in the kernel while the
            // backend connected: relay them now rather than after a trip through the selector.
            try {
                up.onReadable();
            } catch (IOException e) {
                resetAfterFailure(e, Side.CLIENT);
                return;
            }
        }
        updateInterest();
    }

    private Timers.Timer timer() {
        if (timer == null) {
            timer = reactor.timers.create(this::onTimer);
        }
        return timer;
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel();
        }
    }

    private void onTimer() {
        if (state == HEADER) {
            headerFailed("no complete PROXY protocol header within "
                    + TimeUnit.NANOSECONDS.toMillis(proxy.proxyProtocolTimeoutNanos) + " ms", Side.PROXY);
        } else if (state == CONNECTING) {
            onConnectTimeout();
        } else if (state == OPEN) {
            onActivityTimer();
        }
    }

    // ---- idle and half-closed timeouts ----

    /** A byte moved: the connection is not idle. Cheap: the timer is re-armed only when it fires. */
    void touch() {
        if (timed) {
            lastActivity = System.nanoTime();
        }
    }

    private boolean halfClosed() {
        return up.finished || down.finished;
    }

    /** The timeout that applies now, in nanoseconds; 0 for none. */
    private long activityTimeout() {
        if (halfClosed() && proxy.halfClosedTimeoutNanos > 0) {
            return proxy.halfClosedTimeoutNanos;
        }
        return proxy.idleTimeoutNanos;
    }

    private void armActivityTimer() {
        long timeout = activityTimeout();
        if (timeout == 0) {
            cancelTimer();
        } else {
            timer().reschedule(lastActivity + timeout);
        }
    }

    /** The deadline came: close if nothing moved since, else sleep until the new deadline. */
    private void onActivityTimer() {
        long timeout = activityTimeout();
        if (timeout == 0) {
            return;
        }
        long now = System.nanoTime();
        if (up.isHeld() || down.isHeld()) {
            // A fault holds data: the quiet is the proxy's doing.
            lastActivity = now;
        }
        long due = lastActivity + timeout;
        if (now - due < 0) {
            timer.reschedule(due);
            return;
        }
        boolean half = halfClosed() && proxy.halfClosedTimeoutNanos > 0;
        if (half) {
            reactor.halfClosedTimeouts++;
        } else {
            reactor.idleTimeouts++;
        }
        log.debug("#{} {} timeout after {} ms; closing both sides", id, half ? "half-closed" : "idle",
                TimeUnit.NANOSECONDS.toMillis(timeout));
        closeBoth(half ? End.HALF_CLOSED_TIMEOUT : End.IDLE_TIMEOUT, Side.PROXY);
    }

    // ---- relaying ----

    @Override
    public void onReady(SelectionKey key) {
        if (state == CLOSED) {
            return;
        }
        try {
            int ready = key.readyOps();
            if (state == HEADER) {
                readHeader();
                return;
            }
            if (state == CONNECTING) {
                if (key == backendKey && (ready & SelectionKey.OP_CONNECT) != 0) {
                    finishConnect();
                }
                return;
            }
            boolean isClient = key == clientKey;
            Direction in = isClient ? up : down;   // reads from this key's channel
            Direction out = isClient ? down : up;  // writes to this key's channel
            if ((ready & SelectionKey.OP_WRITE) != 0) {
                out.onWritable();
            }
            if ((ready & SelectionKey.OP_READ) != 0 && state == OPEN && in.wantsRead()) {
                in.onReadable();
            }
            updateInterest();
        } catch (IOException e) {
            resetAfterFailure(e, key == clientKey ? Side.CLIENT : Side.BACKEND);
        }
    }

    /**
     * A reset, a broken pipe or another I/O failure: pass it on as a reset. It happened on {@code
     * side}'s socket, the one whose readiness was handled, unless a write found it on the other
     * one ({@link #failedOn}).
     */
    private void resetAfterFailure(IOException e, Side side) {
        log.debug("#{} I/O failure, resetting both sides: {}", id, e.toString());
        reset(End.RESET, failedSide != null ? failedSide : side);
    }

    /** Notes that {@code e} came from {@code side}'s socket; returns {@code e} to be thrown on. */
    IOException failedOn(Side side, IOException e) {
        failedSide = side;
        return e;
    }

    void updateInterest() {
        if (state != OPEN) {
            return;
        }
        int c = (up.wantsRead() ? SelectionKey.OP_READ : 0) | (down.wantsWrite() ? SelectionKey.OP_WRITE : 0);
        if (c != clientOps) {
            clientKey.interestOps(c);
            clientOps = c;
        }
        int b = (down.wantsRead() ? SelectionKey.OP_READ : 0) | (up.wantsWrite() ? SelectionKey.OP_WRITE : 0);
        if (b != backendOps) {
            backendKey.interestOps(b);
            backendOps = b;
        }
    }

    /** Whether both directions passed their FIN on (or, for the second, are about to). */
    boolean bothFinished() {
        return up.finished && down.finished;
    }

    /** Called by a direction after it passed its FIN on. */
    void onDirectionFinished() {
        if (bothFinished()) {
            closeBoth(End.COMPLETED, Side.PROXY); // who ended first is known: each FIN was noted
        } else {
            count(INACTIVE); // half-closed counts as inactive, as in IPVS
            if (timed) {
                lastActivity = System.nanoTime();
                armActivityTimer();
            }
        }
    }

    // ---- ending ----

    /** Closes both sides with a reset (SO_LINGER 0), so each peer sees an abort, not a clean end. */
    @Override
    public void abort() {
        reset(reactor.stopping ? End.SHUTDOWN : End.RESET, Side.PROXY);
    }

    /** A side's FIN came (src of a direction ended): remembered if it is the first end. */
    void sideEnded(boolean client) {
        if (endedFirst == null) {
            endedFirst = client ? Side.CLIENT : Side.BACKEND;
        }
    }

    /**
     * Ends the connection with a plain close of both sockets (the backend's may be null), then the
     * bookkeeping; {@code by} is who ended it first unless a side's FIN already said so.
     */
    private void closeBoth(End end, Side by) {
        state = CLOSED;
        if (endedFirst == null) {
            endedFirst = by;
        }
        if (end != End.COMPLETED) {
            // FIN first: a socket closed with unread data sends only a reset, and a peer that
            // sent bytes the proxy never read (no backend, a bad header, a timeout) should still
            // see the end of the stream before it. Completed connections read everything.
            // But a timeout drops the bytes read for a side and not yet written to it: that side
            // gets a reset, not a FIN that would make the cut stream look complete.
            boolean timeout = end == End.IDLE_TIMEOUT || end == End.HALF_CLOSED_TIMEOUT;
            endOutput(client, timeout && down.pending != null);
            endOutput(backend, timeout && up.pending != null);
        }
        reactor.closeAfterDeregistration(client, clientKey);
        reactor.closeAfterDeregistration(backend, backendKey);
        finish(end);
    }

    private void reset(End end, Side by) {
        if (state == CLOSED) {
            return;
        }
        state = CLOSED;
        if (endedFirst == null) {
            endedFirst = by;
        }
        cancelTimer();
        resetQuietly(client, clientKey);
        resetQuietly(backend, backendKey);
        finish(end);
    }

    /** Bookkeeping common to every way a connection ends; runs exactly once. */
    private void finish(End end) {
        if (faults != null) {
            faults.stopAll();
        }
        cancelTimer();
        up.releaseBuffer();
        down.releaseBuffer();
        count(UNCOUNTED);
        long nanos = System.nanoTime() - startNanos;
        if (log.isDebugEnabled()) {
            log.debug("#{} {} {} -> {}: {} bytes up, {} bytes down, {} ms, {} ended first", id,
                    end.name().toLowerCase(Locale.ROOT), fmt(clientAddress), target != null ? target : "-",
                    up.bytes, down.bytes, TimeUnit.NANOSECONDS.toMillis(nanos), endedFirst);
        }
        try {
            announce();
            if (proxy.events != null) {
                proxy.events.closed(new ConnectionSummary(id, clientAddress, up.backend != null
                        ? up.backend.address() : null, up.bytes, down.bytes, Duration.ofNanos(nanos), end,
                        endedFirst != null ? endedFirst : Side.PROXY));
            }
        } finally {
            // Last: close() drains until every connection has ended, and a listener such as an
            // access log must have heard of this one by then. In a finally, so that the client's
            // place in the limits is given back whatever happened above.
            proxy.connectionEnded(peerAddress);
        }
    }

    private void count(int next) {
        if (counted == next) {
            return;
        }
        BackendState b = target;
        if (counted == ACTIVE) {
            b.active.decrementAndGet();
        } else if (counted == INACTIVE) {
            b.inactive.decrementAndGet();
        }
        if (next == ACTIVE) {
            b.active.incrementAndGet();
        } else if (next == INACTIVE) {
            b.inactive.incrementAndGet();
        }
        counted = next;
    }

    // ---- faults (see FaultChain and FaultRegistry) ----

    long id() {
        return id;
    }

    /** The backend chosen for this connection, or null before one is. */
    InetSocketAddress backendAddress() {
        return target == null ? null : target.address();
    }

    boolean isClosed() {
        return state == CLOSED;
    }

    /** Whether {@code key} is this connection's client key: it has two keys, and is counted once. */
    boolean isClientKey(SelectionKey key) {
        return key == clientKey;
    }

    boolean hasFault(FaultRegistry.Registration registration) {
        return faults != null && faults.contains(registration);
    }

    void attachFault(FaultRegistry.Registration registration) {
        FaultChain chain = faults != null ? faults : new FaultChain(this);
        boolean attached = chain.attach(registration);
        if (attached && faults == null) {
            faults = chain;
        }
        chain.applyRequestedEnd();
    }

    void detachFault(FaultRegistry.Registration registration) {
        if (faults == null || !faults.detach(registration)) {
            return;
        }
        if (faults.isEmpty()) {
            faults = null;
        }
        resumeFaulted(io.github.tcpproxy.fault.FlowDirection.BOTH);
    }

    /** Offers data (or a FIN) a fault held in {@code flow} again. */
    void resumeFaulted(io.github.tcpproxy.fault.FlowDirection flow) {
        if (state != OPEN) {
            return;
        }
        try {
            if (flow.includes(io.github.tcpproxy.fault.FlowDirection.CLIENT_TO_BACKEND)) {
                up.resume();
            }
            if (state == OPEN && flow.includes(io.github.tcpproxy.fault.FlowDirection.BACKEND_TO_CLIENT)) {
                down.resume();
            }
            updateInterest();
        } catch (IOException e) {
            resetAfterFailure(e, Side.PROXY); // it came from a write to a side, which failedOn names
        }
    }

    /** Ends the connection for a fault or a user: orderly (FIN both ways, then close) or with a reset. */
    void endByFault(boolean reset) {
        if (state == CLOSED) {
            return;
        }
        if (reset) {
            abort();
            return;
        }
        closeBoth(End.CLOSED_BY_PROXY, Side.PROXY); // FIN both ways first, then close
    }

    ConnectionInfo snapshot() {
        return snapshot(backendAddress());
    }

    /** A snapshot naming {@code backend}: the one being chosen, before it is the connection's target. */
    ConnectionInfo snapshot(InetSocketAddress backend) {
        ConnectionState s = state == CONNECTING || state == HEADER ? ConnectionState.CONNECTING
                : up.finished || down.finished ? ConnectionState.HALF_CLOSED : ConnectionState.OPEN;
        return new Snapshot(this, id, clientAddress, backend, up.bytes, down.bytes, s);
    }

    /** What {@link io.github.tcpproxy.RunningProxy#connections()} lists. */
    private record Snapshot(Connection connection, long id, InetSocketAddress clientAddress,
            InetSocketAddress backend, long bytesClientToBackend, long bytesBackendToClient, ConnectionState state)
            implements ConnectionInfo {
        @Override
        public void close() {
            if (!connection.proxy.isRunning()) {
                return; // closing the proxy ends every connection anyway
            }
            connection.proxy.faults.onConnection(connection, "close connection #" + id,
                    () -> connection.endByFault(false));
        }

        @Override
        public void reset() {
            if (!connection.proxy.isRunning()) {
                return;
            }
            connection.proxy.faults.onConnection(connection, "reset connection #" + id,
                    () -> connection.endByFault(true));
        }

        @Override
        public String toString() {
            return "#" + id + " " + fmt(clientAddress) + " -> " + (backend == null ? "-" : fmt(backend)) + " "
                    + state + ", " + bytesClientToBackend + " bytes up, " + bytesBackendToClient + " bytes down";
        }
    }

    private static void shutdownOutputQuietly(SocketChannel ch) {
        // A backend still connecting has no output to shut down (NotYetConnectedException).
        if (ch != null && ch.isOpen() && ch.isConnected()) {
            try {
                ch.shutdownOutput();
            } catch (IOException | RuntimeException e) {
                log.trace("shutdownOutput failed", e);
            }
        }
    }

    private void resetQuietly(SocketChannel ch, SelectionKey key) {
        if (ch != null && ch.isOpen()) {
            lingerZeroQuietly(ch);
            reactor.closeAfterDeregistration(ch, key);
        }
    }

    /** Before a close: a FIN now, or ({@code cut}) SO_LINGER 0 so that the close sends a reset. */
    private static void endOutput(SocketChannel ch, boolean cut) {
        if (cut) {
            if (ch != null && ch.isOpen()) {
                lingerZeroQuietly(ch);
            }
        } else {
            shutdownOutputQuietly(ch);
        }
    }

    private static void lingerZeroQuietly(SocketChannel ch) {
        try {
            ch.setOption(StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException | RuntimeException e) {
            log.trace("SO_LINGER 0 failed", e);
        }
    }

    private static String fmt(InetSocketAddress a) {
        return Addresses.format(a);
    }
}
