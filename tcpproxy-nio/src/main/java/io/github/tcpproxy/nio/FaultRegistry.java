package io.github.tcpproxy.nio;

import io.github.tcpproxy.ConnectionInfo;
import io.github.tcpproxy.TcpProxyException;
import io.github.tcpproxy.fault.Fault;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The faults in force on a proxy. Adding or removing one publishes the new set (read by every
 * accept), then runs a task on every reactor that applies the change to the connections it
 * owns, and waits for all of them: so the call returns once the change is in force everywhere.
 * Also runs {@code disable()} / {@code enable()} and the connection snapshots, which need the
 * same visit of every reactor.
 */
final class FaultRegistry {
    private static final Logger log = LoggerFactory.getLogger(FaultRegistry.class);
    private static final Registration[] NONE = new Registration[0];
    /** Bound on the wait for each reactor to apply a change. */
    private static final long REACTOR_WAIT_MILLIS = 10_000;

    private final NioProxy proxy;
    private final Object lock = new Object();
    /** Copy-on-write, read on every accept: empty almost always. */
    private volatile Registration[] active = NONE;
    private int refusing;
    /** Listening should have started again but binding failed: enable() tries again. Guarded by lock. */
    private volatile boolean deaf;
    /** The refuse fault of disable(), or null: read by isEnabled() on any thread. */
    private volatile Registration disabled;

    FaultRegistry(NioProxy proxy) {
        this.proxy = proxy;
    }

    /** A fault added to the proxy: its handle. */
    final class Registration implements FaultHandle {
        private final Fault fault;
        private final FaultTarget target;
        private final long seed;
        /** The last connection id issued when it was added: new connections have larger ids. */
        private final long baseline;
        private volatile boolean activeFlag = true;

        Registration(Fault fault, FaultTarget target, long seed, long baseline) {
            this.fault = fault;
            this.target = target;
            this.seed = seed;
            this.baseline = baseline;
        }

        @Override
        public Fault fault() {
            return fault;
        }

        @Override
        public FaultTarget target() {
            return target;
        }

        @Override
        public long seed() {
            return seed;
        }

        @Override
        public boolean isActive() {
            return activeFlag;
        }

        @Override
        public void close() {
            remove(this);
        }

        /**
         * Whether it applies to {@code c}, as a connection new at accept or existing at add time,
         * whose backend is {@code backend} (null before one is chosen).
         */
        boolean selects(Connection c, boolean isNew, InetSocketAddress backend) {
            FaultTarget.Scope scope = target.scope();
            if (isNew ? scope == FaultTarget.Scope.EXISTING : scope == FaultTarget.Scope.NEW) {
                return false;
            }
            if (scope == FaultTarget.Scope.NEW && c.id() <= baseline) {
                return false; // numbered before the fault was added, started just after: not new
            }
            InetSocketAddress wanted = target.backend();
            if (wanted != null && !wanted.equals(backend)) {
                // Another backend, or none chosen yet: not concerned, or not yet (onBackendChosen).
                return false;
            }
            long index = scope == FaultTarget.Scope.NEW ? c.id() - baseline : c.id();
            if (!target.selects(index, c.id(), seed)) {
                return false;
            }
            if (target.predicate() == null) {
                return true;
            }
            try {
                // At onBackendChosen the backend is not yet the connection's: name it all the same.
                return target.predicate().test(backend != null ? c.snapshot(backend) : c.snapshot());
            } catch (RuntimeException | Error e) {
                // The user's predicate failed: the connection must still be served, without this fault.
                log.warn("the predicate of fault {} failed on connection #{}; the fault does not apply to it",
                        fault, c.id(), e);
                return false;
            }
        }

        @Override
        public String toString() {
            return fault + " " + target + " (seed " + seed + ")";
        }
    }

    /** Whether any fault is in force: the one check an accept pays when there is none. */
    boolean any() {
        return active.length > 0;
    }

    /**
     * {@code backend} was chosen for {@code c} and is about to be connected to (reactor thread):
     * starts the faults aimed at that backend that select it, which could not be started before
     * it was known. They start as on a connection with no backend yet, and are asked whether the
     * connect may go ahead.
     */
    void onBackendChosen(Connection c, InetSocketAddress backend) {
        for (Registration r : active) {
            if (c.isClosed()) {
                return;
            }
            // New or existing as at the fault's adding: connections numbered after it are new.
            if (r.target.backend() != null && !c.hasFault(r) && r.selects(c, c.id() > r.baseline, backend)) {
                c.attachFault(r);
            }
        }
    }

    /**
     * Once a connection's client address is known (at accept, or after its PROXY protocol
     * header), reactor thread: starts the faults that select it. New or existing as numbered:
     * a fault added while it waited for its header finds it here, not in the add's walk.
     */
    void attachNew(Connection c) {
        for (Registration r : active) {
            if (c.isClosed()) {
                return;
            }
            if (!c.hasFault(r) && r.selects(c, c.id() > r.baseline, null)) {
                c.attachFault(r);
            }
        }
    }

    FaultHandle add(Fault fault, FaultTarget target) {
        if (fault == null) {
            throw new IllegalArgumentException("fault must not be null");
        }
        if (target == null) {
            throw new IllegalArgumentException("fault target must not be null");
        }
        proxy.checkNotOnReactor("addFault(" + fault + ")");
        if (!proxy.isRunning()) {
            throw new IllegalStateException("addFault(" + fault + "): the proxy is closed");
        }
        long seed = target.seed().orElseGet(() -> ThreadLocalRandom.current().nextLong());
        Registration r;
        synchronized (lock) {
            r = new Registration(fault, target, seed, proxy.lastConnectionId());
            Registration[] next = Arrays.copyOf(active, active.length + 1);
            next[active.length] = r;
            active = next;
            if (fault.refusesNewConnections() && refusing++ == 0) {
                proxy.setListening(false);
            }
            if (target.scope() != FaultTarget.Scope.NEW) {
                onEveryReactor("add " + fault, reactor -> forEachConnection(reactor, c -> {
                    // One still waiting for its header is attached to once it has its address.
                    if (!c.isClosed() && !c.awaitsHeader() && !c.hasFault(r)
                            && r.selects(c, false, c.backendAddress())) {
                        c.attachFault(r);
                    }
                }));
            }
        }
        log.info("fault added: {}", r);
        return r;
    }

    void remove(Registration r) {
        proxy.checkNotOnReactor("removing fault " + r.fault);
        synchronized (lock) {
            int i = Arrays.asList(active).indexOf(r);
            if (i < 0) {
                return;
            }
            Registration[] next = new Registration[active.length - 1];
            System.arraycopy(active, 0, next, 0, i);
            System.arraycopy(active, i + 1, next, i, active.length - i - 1);
            active = next.length == 0 ? NONE : next;
            r.activeFlag = false;
            // Also while close() drains, not once it has finished (the reactors are gone).
            try {
                if (!proxy.isTerminated()) {
                    onEveryReactor("remove " + r.fault, reactor -> forEachConnection(reactor, c -> c.detachFault(r)));
                }
                if (proxy.isRunning() && r.fault.refusesNewConnections() && --refusing == 0) {
                    listenAgain();
                }
            } catch (IllegalStateException closed) {
                if (proxy.isRunning()) {
                    throw closed;
                }
                // The proxy has closed, and its connections with it: nothing is left to remove it from.
            }
        }
        log.info("fault removed: {}", r);
    }

    List<FaultHandle> list() {
        List<FaultHandle> list = new ArrayList<>();
        for (Registration r : active) {
            if (r != disabled) {
                list.add(r);
            }
        }
        return List.copyOf(list);
    }

    void removeAll() {
        proxy.checkNotOnReactor("removeAllFaults()"); // also when there is none to remove
        for (FaultHandle h : list()) {
            h.close();
        }
    }

    void disable() {
        proxy.checkNotOnReactor("disable()");
        synchronized (lock) {
            if (disabled != null) {
                return;
            }
            disabled = (Registration) add(io.github.tcpproxy.fault.Faults.refuseConnections(),
                    FaultTarget.all().scope(FaultTarget.Scope.NEW));
            onEveryReactor("disable", reactor -> forEachConnection(reactor, c -> c.endByFault(true)));
        }
    }

    void enable() {
        proxy.checkNotOnReactor("enable()");
        synchronized (lock) {
            if (disabled != null) {
                Registration r = disabled;
                disabled = null;
                remove(r);
            } else if (deaf && refusing == 0 && proxy.isRunning()) {
                listenAgain();
            }
        }
    }

    /**
     * Starts listening again once no fault refuses clients. If the address cannot be bound (another
     * process took the port meanwhile) the exception goes to the caller and {@link #enable()}
     * tries again later. Under lock.
     */
    private void listenAgain() {
        deaf = true;
        proxy.setListening(true);
        deaf = false;
    }

    boolean isEnabled() {
        return disabled == null && !deaf;
    }

    List<ConnectionInfo> connections() {
        proxy.checkNotOnReactor("connections()");
        List<ConnectionInfo> all = java.util.Collections.synchronizedList(new ArrayList<>());
        onEveryReactor("snapshot connections", reactor -> forEachConnection(reactor, c -> all.add(c.snapshot())));
        List<ConnectionInfo> sorted = new ArrayList<>(all);
        sorted.sort((a, b) -> Long.compare(a.id(), b.id()));
        return List.copyOf(sorted);
    }

    /** Runs {@code action} on one connection's reactor and waits for it (or just posts it from a reactor). */
    void onConnection(Connection c, String what, Runnable action) {
        Reactor reactor = c.reactor;
        if (proxy.isOnReactor()) {
            reactor.execute(action);
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        reactor.execute(() -> {
            try {
                action.run();
            } finally {
                done.countDown();
            }
        });
        await(done, what);
    }

    /**
     * Runs {@code action} on every open connection of {@code reactor}. A closed connection's keys
     * stay in the selector's key set until its next select, so closed ones are skipped here.
     */
    private static void forEachConnection(Reactor reactor, Consumer<Connection> action) {
        for (SelectionKey key : reactor.selector.keys().toArray(new SelectionKey[0])) {
            if (key.attachment() instanceof Connection c && c.isClientKey(key) && !c.isClosed()) {
                action.accept(c);
            }
        }
    }

    /** Runs {@code action} on every reactor and returns once all have run it. */
    private void onEveryReactor(String what, Consumer<Reactor> action) {
        Reactor[] reactors = proxy.reactors;
        CountDownLatch done = new CountDownLatch(reactors.length);
        for (Reactor reactor : reactors) {
            reactor.execute(() -> {
                try {
                    action.accept(reactor);
                } finally {
                    done.countDown();
                }
            });
        }
        await(done, what);
    }

    /** Waits for the reactors to have done {@code what}, through interrupts (the change is under way). */
    private void await(CountDownLatch done, String what) {
        if (!proxy.awaitReactorsThroughInterrupts(done, REACTOR_WAIT_MILLIS, what)) {
            throw new TcpProxyException("the reactors did not " + what + " within " + REACTOR_WAIT_MILLIS + " ms",
                    null);
        }
    }
}
