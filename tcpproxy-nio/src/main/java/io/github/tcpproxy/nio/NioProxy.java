package io.github.tcpproxy.nio;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.ConnectionInfo;
import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RefusalReason;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxyException;
import io.github.tcpproxy.fault.Fault;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.internal.Addresses;
import io.github.tcpproxy.internal.Nanos;
import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.ProxyConfig;
import io.github.tcpproxy.spi.Strategy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running proxy: the listen sockets, the reactors, and the backends' shared state. */
final class NioProxy implements RunningProxy {
    static final Logger log = LoggerFactory.getLogger(NioProxy.class);

    /** Bound on each wait inside close() for a reactor to do something. */
    private static final long REACTOR_WAIT_MILLIS = 5_000;

    final ProxyConfig config;
    final long connectTimeoutNanos;
    final long slowStartNanos;
    final long idleTimeoutNanos;
    /** What this proxy's relay buffers may take: its own limit, or the one every proxy shares. */
    final BufferBudget bufferBudget;
    final long halfClosedTimeoutNanos;
    final long proxyProtocolTimeoutNanos;
    /** PROXY protocol version sent to backends, 1 or 2; 0 for none. */
    final int sendProxyProtocol;
    final Admission admission;
    private final Object admitLock = new Object();
    /** The connection listeners, or null if there are none. */
    final Events events;
    final Reactor[] reactors;
    private final Strategy strategy;
    /** Copy-on-write: a new list on every change, so strategies may cache by its identity. */
    private volatile List<BackendView> backendViews;
    private final Object backendsLock = new Object();
    private int nextProbeReactor;
    private final InetSocketAddress localAddress;
    private final Acceptor[] acceptors;
    private final AtomicLong connectionIds = new AtomicLong();
    /** Client connections accepted and not yet ended, for the drain in close(). */
    private final AtomicInteger open = new AtomicInteger();
    /** Client connections admitted since start (counted with {@link #open}, so never below it). */
    private final AtomicLong admitted = new AtomicLong();
    private final Object drainLock = new Object();
    /** When the drain in close() gives up; a later close(shorter) may bring it forward. Guarded by drainLock. */
    private long drainDeadline;
    private boolean drainDeadlineSet;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    /** The faults in force, and what needs a visit of every reactor (snapshots, disable). */
    final FaultRegistry faults = new FaultRegistry(this);

    private NioProxy(ProxyConfig config, List<ServerSocketChannel> servers) throws IOException {
        this.config = config;
        this.connectTimeoutNanos = Nanos.of(config.connectTimeout());
        this.slowStartNanos = Nanos.of(config.slowStart());
        this.idleTimeoutNanos = Nanos.of(config.idleTimeout());
        this.bufferBudget = config.maxBufferMemory() > 0 ? new BufferBudget(config.maxBufferMemory())
                : BufferBudget.shared();
        this.halfClosedTimeoutNanos = Nanos.of(config.halfClosedTimeout());
        this.proxyProtocolTimeoutNanos = Nanos.of(config.proxyProtocolTimeout());
        this.sendProxyProtocol = switch (config.sendProxyProtocol()) {
            case OFF -> 0;
            case V1 -> 1;
            case V2 -> 2;
        };
        this.admission = new Admission(config, open::get);
        this.events = Events.of(config.connectionListeners());
        this.strategy = config.strategy();
        List<BackendView> views = new ArrayList<>();
        for (int i = 0; i < config.backends().size(); i++) {
            views.add(new BackendState(this, config.backends().get(i), i, false));
        }
        this.backendViews = List.copyOf(views);
        warnIfSlowStartCannotRamp(config.backends());
        this.localAddress = (InetSocketAddress) servers.get(0).getLocalAddress();
        this.reactors = new Reactor[config.reactorThreads()];
        String where = Addresses.format(localAddress);
        try {
            for (int i = 0; i < reactors.length; i++) {
                reactors[i] = new Reactor(this, i, "tcpproxy-reactor-" + i + " " + where);
            }
        } catch (IOException | RuntimeException | OutOfMemoryError e) { // OOM: no direct memory for a reserve
            for (Reactor r : reactors) {
                if (r != null) {
                    r.selector.close();
                }
            }
            throw e;
        }
        // One listen socket: its acceptor hands clients out. One per reactor: each keeps its own.
        boolean handOff = servers.size() == 1;
        this.acceptors = new Acceptor[servers.size()];
        for (int i = 0; i < acceptors.length; i++) {
            acceptors[i] = new Acceptor(this, reactors[i], servers.get(i), handOff);
            acceptors[i].register();
        }
    }

    static {
        // Closing a socket channel initializes the JDK's FileDispatcherImpl, whose static
        // initializer needs a file descriptor of its own (JDK 17: a socketpair for the preClose
        // trick). If the first close happens while descriptors are exhausted, that class fails to
        // initialize for good and no channel can ever be closed again: every later close throws
        // NoClassDefFoundError and the descriptors leak. Close one channel now, while we can.
        try {
            SocketChannel.open().close();
        } catch (IOException e) {
            log.debug("could not open a socket channel at start-up", e);
        }
    }

    static NioProxy start(ProxyConfig config) {
        InetSocketAddress listen = config.listenAddress();
        List<ServerSocketChannel> servers;
        try {
            servers = Listeners.open(listen, config.acceptBacklog(), config.receiveBufferSize(),
                    Listeners.perReactor(config.reactorThreads()) ? config.reactorThreads() : 1);
        } catch (IOException e) {
            throw new TcpProxyException("cannot listen on " + Addresses.format(listen) + ": " + e.getMessage(), e);
        }
        NioProxy proxy;
        try {
            proxy = new NioProxy(config, servers);
        } catch (IOException e) {
            Listeners.closeAll(servers);
            throw new TcpProxyException("cannot start the proxy on " + Addresses.format(listen) + ": " + e, e);
        }
        for (Reactor r : proxy.reactors) {
            r.start();
        }
        for (BackendView b : proxy.backendViews) {
            proxy.startHealthChecks((BackendState) b);
        }
        log.info("listening on {}, {} backend(s), {} reactor thread(s)", Addresses.format(proxy.localAddress),
                config.backends().size(), config.reactorThreads());
        return proxy;
    }

    long nextConnectionId() {
        return connectionIds.incrementAndGet();
    }

    /** The id of the last connection accepted so far (0 before the first). */
    long lastConnectionId() {
        return connectionIds.get();
    }

    boolean isOnReactor() {
        for (Reactor r : reactors) {
            if (r.inReactor()) {
                return true;
            }
        }
        return false;
    }

    /** Fails fast where waiting for the reactors would deadlock: on a reactor thread. */
    void checkNotOnReactor(String call) {
        if (isOnReactor()) {
            throw new IllegalStateException(call + " must not be called on one of the proxy's own threads ("
                    + Thread.currentThread().getName() + "): it waits for them");
        }
    }

    /**
     * Stops or starts listening (faults that refuse clients, disable/enable); waits until done,
     * through interrupts (the change is under way: see {@link #awaitReactorsThroughInterrupts}).
     */
    void setListening(boolean listening) {
        try {
            onEveryAcceptor(listening);
        } catch (ExecutionException e) {
            throw new TcpProxyException("cannot listen on " + Addresses.format(localAddress) + " again: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new TcpProxyException("the acceptor did not " + (listening ? "start" : "stop") + " listening within "
                    + REACTOR_WAIT_MILLIS + " ms", e);
        }
        log.info("{} listening on {}", listening ? "started" : "stopped", Addresses.format(localAddress));
    }

    /** How often a wait for the reactors looks whether the proxy has closed meanwhile. */
    private static final long CLOSED_CHECK_MILLIS = 20;
    /** Times a strategy is asked again when it picked a backend removed meanwhile. */
    private static final int MAX_ASKS_AFTER_REMOVAL = 4;

    /** Whether close() has finished: the reactors have ended, and their connections with them. */
    boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /**
     * Waits for {@code done}, counted down by tasks posted to the reactors, for at most
     * {@code millis}. A reactor stopped by close() never runs a task posted after it stopped: a
     * wait that would outlast the proxy fails as soon as the proxy has closed instead. An
     * interrupt does not end the wait: the change the tasks make is under way, and giving up
     * would tell the caller it failed when it did not, or leave it half-made (a fault in force
     * without a handle, {@code isEnabled()} wrong); the interrupt status is kept for the caller.
     *
     * @return false if the time ran out
     * @throws IllegalStateException naming {@code what} if the proxy closed first
     */
    boolean awaitReactorsThroughInterrupts(CountDownLatch done, long millis, String what) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        try {
            while (true) {
                try {
                    if (done.await(CLOSED_CHECK_MILLIS, TimeUnit.MILLISECONDS)) {
                        return true;
                    }
                } catch (InterruptedException e) {
                    interrupted = true; // cleared by the throw: the next await waits again
                    continue;
                }
                if (isTerminated()) {
                    throw new IllegalStateException(what + ": the proxy is closed");
                }
                if (System.nanoTime() - deadline >= 0) {
                    return false;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Has every acceptor start or stop listening, on its own reactor, and waits for all of them. */
    private void onEveryAcceptor(boolean listening) throws ExecutionException, TimeoutException {
        CountDownLatch done = new CountDownLatch(acceptors.length);
        AtomicReference<Exception> failure = new AtomicReference<>();
        for (Acceptor acceptor : acceptors) {
            acceptor.reactor().execute(() -> {
                try {
                    acceptor.setListening(listening);
                } catch (IOException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            });
        }
        String what = listening ? "start listening" : "stop listening";
        boolean finished;
        try {
            finished = awaitReactorsThroughInterrupts(done, REACTOR_WAIT_MILLIS, what);
        } catch (IllegalStateException closed) {
            if (!listening) {
                return; // closed meanwhile: not listening, as asked
            }
            throw closed;
        }
        if (!finished) {
            throw new TimeoutException();
        }
        if (failure.get() != null) {
            throw new ExecutionException(failure.get());
        }
    }

    // ---- faults, connections, enable/disable: see FaultRegistry ----

    @Override
    public FaultHandle addFault(Fault fault, FaultTarget target) {
        return faults.add(fault, target);
    }

    @Override
    public List<FaultHandle> faults() {
        return faults.list();
    }

    @Override
    public void removeAllFaults() {
        faults.removeAll();
    }

    @Override
    public void disable() {
        if (!isRunning()) {
            throw new IllegalStateException("disable(): the proxy is closed");
        }
        faults.disable();
    }

    @Override
    public void enable() {
        faults.enable();
    }

    @Override
    public boolean isEnabled() {
        return faults.isEnabled();
    }

    @Override
    public List<ConnectionInfo> connections() {
        if (!isRunning()) {
            return List.of();
        }
        return faults.connections();
    }

    List<BackendView> backendViews() {
        return backendViews;
    }

    /**
     * Asks the strategy; a strategy that throws or answers something foreign picks nothing. One
     * that picks a backend removed meanwhile (it read the list just before the removal) is asked
     * again, a few times at most.
     */
    BackendState choose(Connection connection) {
        BackendView chosen = null;
        for (int ask = 0; ask < MAX_ASKS_AFTER_REMOVAL; ask++) {
            try {
                chosen = strategy.select(connection);
            } catch (RuntimeException | Error e) {
                log.warn("strategy {} failed; closing the client", strategy.getClass().getName(), e);
                return null;
            }
            if (chosen == null) {
                return null;
            }
            if (!(chosen instanceof BackendState state) || state.proxy() != this) {
                break;
            }
            if (!state.isRemoved()) {
                return state;
            }
        }
        if (chosen instanceof BackendState state && state.proxy() == this) { // removed, every time asked
            log.warn("strategy {} returned the removed backend {} when asked {} times; closing the client",
                    strategy.getClass().getName(), chosen, MAX_ASKS_AFTER_REMOVAL);
        } else {
            log.warn("strategy {} returned {}, which is not one of this proxy's backends; closing the client",
                    strategy.getClass().getName(), chosen);
        }
        return null;
    }

    /**
     * Slow start lowers weights in whole steps, and a weight of 1 cannot be lowered: say so rather
     * than let someone believe such backends are ramped. Once per call, naming a few of them.
     */
    private void warnIfSlowStartCannotRamp(List<Backend> backends) {
        if (slowStartNanos == 0) {
            return;
        }
        List<String> ones = new ArrayList<>();
        for (Backend b : backends) {
            if (b.weight() == 1) {
                ones.add(b.name());
            }
        }
        if (!ones.isEmpty()) {
            log.warn("slow start cannot ramp backend(s) of weight 1 ({}{}): it lowers weights in whole steps;"
                    + " give the backends weights such as 10 or 100 (only their ratios matter)",
                    String.join(", ", ones.subList(0, Math.min(3, ones.size()))),
                    ones.size() > 3 ? " and " + (ones.size() - 3) + " more" : "");
        }
    }

    /** Makes a connection's socket non-blocking and sets the configured TCP options on it. */
    void configure(SocketChannel channel) throws IOException {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, config.tcpNoDelay());
        channel.setOption(StandardSocketOptions.SO_KEEPALIVE, config.keepAlive());
        if (config.sendBufferSize() > 0) {
            channel.setOption(StandardSocketOptions.SO_SNDBUF, config.sendBufferSize());
        }
        if (config.receiveBufferSize() > 0) {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, config.receiveBufferSize());
        }
    }

    /**
     * Asks the access lists and limits about a new client and, if it may be served, counts it as
     * started. One lock around both, so that acceptors on several reactors cannot together pass
     * the global connection limit; uncontended it costs next to nothing.
     *
     * @return null to serve it, else why not
     */
    RefusalReason admit(InetAddress client) {
        synchronized (admitLock) {
            RefusalReason refusal = admission.admit(client, System.nanoTime());
            if (refusal == null) {
                admitted.incrementAndGet();
                open.incrementAndGet();
            }
            return refusal;
        }
    }

    /** A connection admitted for {@code client} has ended, however. Any reactor thread. */
    void connectionEnded(InetSocketAddress client) {
        admission.release(client == null ? null : client.getAddress());
        if (open.decrementAndGet() == 0) {
            synchronized (drainLock) {
                drainLock.notifyAll();
            }
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public ProxyStats stats() {
        int active = open.get(); // first: admitted only grows, so the total read after is not below it
        long up = 0;
        long down = 0;
        long buffered = 0;
        long failures = 0;
        long noBackend = 0;
        long acceptFailures = 0;
        long denied = 0;
        long maxConns = 0;
        long maxPerClient = 0;
        long rate = 0;
        long idle = 0;
        long halfClosed = 0;
        long proxyProtocolErrors = 0;
        long bufferWaits = 0;
        for (Reactor r : reactors) {
            proxyProtocolErrors += r.proxyProtocolErrors;
            bufferWaits += r.bufferWaits;
            denied += r.refusedDenied;
            maxConns += r.refusedMaxConnections;
            maxPerClient += r.refusedMaxConnectionsPerClient;
            rate += r.refusedRateLimited;
            idle += r.idleTimeouts;
            halfClosed += r.halfClosedTimeouts;
            up += r.bytesUp;
            down += r.bytesDown;
            buffered += r.buffered;
            failures += r.connectFailures;
            noBackend += r.noBackend;
            acceptFailures += r.acceptFailures;
        }
        // Open now: the one atomic count, not accepted - closed summed over the reactors, which a
        // connection accepted and closed between the two reads made too low (hiding open ones).
        return new ProxyStats(active, admitted.get(), up, down, buffered, failures, noBackend,
                acceptFailures, denied, maxConns, maxPerClient, rate, idle, halfClosed, proxyProtocolErrors,
                bufferWaits, backends());
    }

    // ---- backends at run time ----

    private void startHealthChecks(BackendState backend) {
        if (config.healthCheck() == null) {
            return;
        }
        Reactor reactor = reactors[nextProbeReactor++ % reactors.length];
        reactor.execute(() -> new HealthProbe(reactor, backend, config.healthCheck()).start());
    }

    /**
     * Backends hold resolved addresses (Backend.of resolves): so must what they are looked up by.
     * Called before taking the backends lock, so a slow name server holds up only its caller.
     */
    private static InetSocketAddress resolved(InetSocketAddress address) {
        if (address == null) {
            throw new IllegalArgumentException("backend address must not be null");
        }
        return address.isUnresolved()
                ? Addresses.resolve("backend", address.getHostString(), address.getPort()) : address;
    }

    /** The backend at {@code address}, {@link #resolved} already, or null. */
    private BackendState find(InetSocketAddress address) {
        for (BackendView b : backendViews) {
            if (b.address().equals(address)) {
                return (BackendState) b;
            }
        }
        return null;
    }

    /** The backend at {@code address}, {@link #resolved} already. */
    private BackendState require(InetSocketAddress address) {
        BackendState state = find(address);
        if (state == null) {
            throw new IllegalArgumentException("no backend " + Addresses.format(address) + "; backends: "
                    + backendViews);
        }
        return state;
    }

    /** Publishes a new list (callers hold backendsLock), renumbering the backends. */
    private void publish(List<BackendView> views) {
        for (int i = 0; i < views.size(); i++) {
            ((BackendState) views.get(i)).index(i);
        }
        backendViews = List.copyOf(views);
    }

    @Override
    public List<BackendStatus> backends() {
        List<BackendView> views = backendViews;
        List<BackendStatus> statuses = new ArrayList<>(views.size());
        for (BackendView b : views) {
            statuses.add(((BackendState) b).status());
        }
        return List.copyOf(statuses);
    }

    @Override
    public void addBackend(Backend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        if (closing.get()) {
            throw new IllegalStateException("addBackend(" + backend.name() + "): the proxy is closed");
        }
        BackendState state;
        synchronized (backendsLock) {
            if (find(backend.address()) != null) {
                throw new IllegalArgumentException("backend " + backend.name() + " exists already");
            }
            List<BackendView> views = new ArrayList<>(backendViews);
            state = new BackendState(this, backend, views.size(), true);
            views.add(state);
            publish(views);
        }
        log.info("backend {} added", backend);
        warnIfSlowStartCannotRamp(List.of(backend));
        startHealthChecks(state);
    }

    @Override
    public boolean removeBackend(InetSocketAddress address) {
        InetSocketAddress wanted = resolved(address);
        synchronized (backendsLock) {
            BackendState state = find(wanted);
            if (state == null) {
                return false;
            }
            List<BackendView> views = new ArrayList<>(backendViews);
            views.remove(state);
            publish(views);
            // After the new list is out: a strategy that picks it now read the old one, and a
            // second ask (see choose) reads the new one.
            state.markRemoved();
        }
        log.info("backend {} removed", Addresses.format(address));
        return true;
    }

    @Override
    public void updateBackend(Backend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        synchronized (backendsLock) {
            require(backend.address()).update(backend);
            publish(new ArrayList<>(backendViews));
        }
        log.info("backend {} updated", backend);
    }

    @Override
    public void setWeight(InetSocketAddress address, int weight) {
        InetSocketAddress wanted = resolved(address);
        synchronized (backendsLock) {
            BackendState state = require(wanted);
            updateBackend(state.backend().withWeight(weight));
        }
    }

    @Override
    public void setConnectionLimits(int maxConnections, int maxConnectionsPerClient, int maxConnectionRatePerClient) {
        checkLimit("max connections", maxConnections);
        checkLimit("max connections per client", maxConnectionsPerClient);
        checkLimit("max connection rate per client", maxConnectionRatePerClient);
        admission.setLimits(maxConnections, maxConnectionsPerClient, maxConnectionRatePerClient);
        log.info("connection limits now: max connections {}, per client {}, rate per client {}/s (0: no limit)",
                maxConnections, maxConnectionsPerClient, maxConnectionRatePerClient);
    }

    private static void checkLimit(String what, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " " + value + " must be 0 (no limit) or more");
        }
    }

    @Override
    public boolean isRunning() {
        return !closing.get();
    }

    @Override
    public void close() {
        close(config.drainTimeout());
    }

    @Override
    public void close(Duration drainTimeout) {
        if (drainTimeout == null || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drain timeout " + drainTimeout + " must be zero or positive");
        }
        for (Reactor r : reactors) {
            if (r.inReactor()) {
                throw new IllegalStateException("close() must not be called on one of the proxy's own threads ("
                        + Thread.currentThread().getName() + ")");
            }
        }
        if (!closing.compareAndSet(false, true)) {
            shortenDrain(drainTimeout);
            awaitTermination();
            return;
        }
        boolean interrupted = false;
        try {
            try {
                stopAccepting();
                drain(drainTimeout);
            } catch (InterruptedException e) {
                interrupted = true; // cuts the drain short; the threads are still stopped and awaited
            }
            for (Reactor r : reactors) {
                r.execute(r::shutdown);
            }
            for (Reactor r : reactors) {
                interrupted |= joinUninterruptibly(r.thread(), REACTOR_WAIT_MILLIS);
                if (r.thread().isAlive()) {
                    log.warn("{} did not stop within {} ms", r.thread().getName(), REACTOR_WAIT_MILLIS);
                }
            }
            log.info("stopped listening on {}", Addresses.format(localAddress));
        } finally {
            terminated.countDown();
            if (interrupted) {
                Thread.currentThread().interrupt(); // kept for the caller, as it found it
            }
        }
    }

    /** Joins {@code thread} for at most {@code millis}, through interrupts; returns whether there was one. */
    private static boolean joinUninterruptibly(Thread thread, long millis) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (thread.isAlive()) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                break;
            }
            try {
                thread.join(left);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
    }

    private void stopAccepting() {
        try {
            onEveryAcceptor(false); // for good: close() has made isRunning() false first
        } catch (ExecutionException | TimeoutException e) {
            log.warn("stopping the acceptors failed or took over {} ms: {}", REACTOR_WAIT_MILLIS, e.toString());
        }
    }

    private void drain(Duration drainTimeout) throws InterruptedException {
        synchronized (drainLock) {
            bringDrainDeadlineForward(System.nanoTime() + Nanos.of(drainTimeout));
            while (open.get() > 0) {
                long left = drainDeadline - System.nanoTime();
                if (left <= 0) {
                    log.info("drain time over; resetting {} connection(s) still open", open.get());
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(drainLock, left);
            }
        }
    }

    /** A close() while another one drains: brings its deadline forward if this drain time is shorter. */
    private void shortenDrain(Duration drainTimeout) {
        synchronized (drainLock) {
            bringDrainDeadlineForward(System.nanoTime() + Nanos.of(drainTimeout));
            drainLock.notifyAll();
        }
    }

    /** Sets the drain deadline unless an earlier one is set. Holds drainLock. */
    private void bringDrainDeadlineForward(long deadline) {
        if (!drainDeadlineSet || deadline - drainDeadline < 0) {
            drainDeadline = deadline;
            drainDeadlineSet = true;
        }
    }

    /**
     * Waits for the close() under way to finish; an interrupt cuts its drain short, as it would
     * the first close()'s, and is kept for the caller.
     */
    private void awaitTermination() {
        boolean interrupted = false;
        while (true) {
            try {
                terminated.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
                shortenDrain(Duration.ZERO);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "tcpproxy on " + Addresses.format(localAddress);
    }
}
