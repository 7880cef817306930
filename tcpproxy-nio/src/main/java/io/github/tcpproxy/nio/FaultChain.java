package io.github.tcpproxy.nio;

import io.github.tcpproxy.fault.ConnectionFault;
import io.github.tcpproxy.fault.FaultContext;
import io.github.tcpproxy.fault.FlowDirection;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The faults in force on one connection, and the questions the relay asks them. A connection
 * without faults has none of this (its field is null), so the plain relay pays one null check.
 * Reactor thread only.
 */
final class FaultChain {
    private static final int NO_END = 0;
    private static final int CLOSE = 1;
    private static final int RESET = 2;

    private final Connection connection;
    private final List<Entry> entries = new ArrayList<>(2);
    /** Non-zero while faults are being started: ends they ask for wait until that is over. */
    private int starting;
    private int endRequest = NO_END;

    FaultChain(Connection connection) {
        this.connection = connection;
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    boolean contains(FaultRegistry.Registration registration) {
        for (Entry e : entries) {
            if (e.registration == registration) {
                return true;
            }
        }
        return false;
    }

    /** Whether any fault is aimed at this direction: if not, the direction relays as usual. */
    boolean applies(boolean clientToBackend) {
        FlowDirection flow = flow(clientToBackend);
        InetSocketAddress backend = connection.backendAddress();
        for (Entry e : entries) {
            if (e.direction.includes(flow) && e.matches(backend)) {
                return true;
            }
        }
        return false;
    }

    /** Starts {@code registration}'s fault on this connection; returns false if it has nothing per connection. */
    boolean attach(FaultRegistry.Registration registration) {
        Entry entry = new Entry(registration);
        ConnectionFault fault;
        int endRequestBefore = endRequest;
        starting++;
        try {
            fault = registration.fault().attach(entry);
            if (fault == null) {
                return false;
            }
            entry.fault = fault;
            entries.add(entry);
            fault.start();
        } catch (RuntimeException | Error e) {
            Connection.log.warn("#{} fault {} failed to start; it does not apply to this connection",
                    connection.id(), registration.fault(), e);
            entries.remove(entry);
            entry.stopped = true; // what it kept of its context can no longer act on the connection
            entry.cancelTimers();
            endRequest = endRequestBefore; // an end it asked for before it failed goes with it
            return false;
        } finally {
            starting--;
        }
        return true;
    }

    /** Ends the connection now if a fault asked for it while starting. */
    void applyRequestedEnd() {
        int end = endRequest;
        endRequest = NO_END;
        if (end != NO_END) {
            connection.endByFault(end == RESET);
        }
    }

    /** Stops {@code registration}'s fault here; returns whether it applied. */
    boolean detach(FaultRegistry.Registration registration) {
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.registration == registration) {
                entries.remove(i);
                e.stop();
                return true;
            }
        }
        return false;
    }

    /**
     * The connection moved to {@code backend} (a retry): stops the faults aimed at another one.
     * Returns whether any was stopped.
     */
    boolean stopOthers(InetSocketAddress backend) {
        boolean stopped = false;
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry e = entries.get(i);
            if (!e.matches(backend)) {
                entries.remove(i);
                e.stop();
                stopped = true;
            }
        }
        return stopped;
    }

    /** The connection ended: stop every fault. */
    void stopAll() {
        for (Entry e : entries) {
            e.stop();
        }
        entries.clear();
    }

    boolean allowConnect(InetSocketAddress backend) {
        for (Entry e : entries) {
            if (e.matches(backend)) {
                try {
                    if (!e.fault.allowConnect(backend)) {
                        return false;
                    }
                } catch (RuntimeException | Error ex) {
                    failed(e, ex);
                }
            }
        }
        return true;
    }

    /** The least any fault allows of {@code available} bytes in this direction. */
    int allow(boolean clientToBackend, int available, long readNanos) {
        FlowDirection flow = flow(clientToBackend);
        InetSocketAddress backend = connection.backendAddress();
        int allowed = available;
        for (Entry e : entries) {
            if (e.direction.includes(flow) && e.matches(backend)) {
                try {
                    allowed = Math.min(allowed, Math.max(0, e.fault.allow(flow, available, readNanos)));
                } catch (RuntimeException | Error ex) {
                    failed(e, ex);
                }
            }
        }
        return allowed;
    }

    void passed(boolean clientToBackend, int bytes) {
        FlowDirection flow = flow(clientToBackend);
        InetSocketAddress backend = connection.backendAddress();
        for (Entry e : entries) {
            if (e.direction.includes(flow) && e.matches(backend)) {
                try {
                    e.fault.passed(flow, bytes);
                } catch (RuntimeException | Error ex) {
                    failed(e, ex);
                }
            }
        }
    }

    boolean allowEnd(boolean clientToBackend) {
        FlowDirection flow = flow(clientToBackend);
        InetSocketAddress backend = connection.backendAddress();
        boolean allowed = true;
        for (Entry e : entries) {
            if (e.direction.includes(flow) && e.matches(backend)) {
                try {
                    allowed &= e.fault.allowEnd(flow);
                } catch (RuntimeException | Error ex) {
                    failed(e, ex);
                }
            }
        }
        return allowed;
    }

    private void failed(Entry e, Throwable ex) {
        // A user's fault that throws is a bug in the test, not in the connection: say so loudly,
        // then let the data through rather than hang the test.
        Connection.log.warn("#{} fault {} threw; it is ignored for this call", connection.id(),
                e.registration.fault(), ex);
    }

    private void requestEnd(boolean reset) {
        int request = reset ? RESET : CLOSE;
        if (starting > 0) {
            endRequest = Math.max(endRequest, request);
            return;
        }
        // Never end the connection in the middle of a relay call that asked a fault something.
        connection.reactor.execute(() -> connection.endByFault(reset));
    }

    static FlowDirection flow(boolean clientToBackend) {
        return clientToBackend ? FlowDirection.CLIENT_TO_BACKEND : FlowDirection.BACKEND_TO_CLIENT;
    }

    /** One fault on this connection; also the context the fault sees. */
    private final class Entry implements FaultContext {
        final FaultRegistry.Registration registration;
        final FlowDirection direction;
        ConnectionFault fault;
        private List<Timers.Timer> timers;
        private RandomGenerator random;
        private boolean stopped;

        Entry(FaultRegistry.Registration registration) {
            this.registration = registration;
            this.direction = registration.target().direction();
        }

        boolean matches(InetSocketAddress backend) {
            InetSocketAddress wanted = registration.target().backend();
            return wanted == null || wanted.equals(backend);
        }

        void stop() {
            if (stopped) {
                return;
            }
            stopped = true;
            cancelTimers();
            try {
                fault.stop();
            } catch (RuntimeException | Error e) {
                Connection.log.warn("#{} fault {} failed to stop", connection.id(), registration.fault(), e);
            }
        }

        void cancelTimers() {
            if (timers != null) {
                for (Timers.Timer t : timers) {
                    t.cancel();
                }
                timers = null;
            }
        }

        @Override
        public long connectionId() {
            return connection.id();
        }

        @Override
        public InetSocketAddress clientAddress() {
            return connection.clientAddress();
        }

        @Override
        public InetSocketAddress backend() {
            return connection.backendAddress();
        }

        @Override
        public FlowDirection direction() {
            return direction;
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public RandomGenerator random() {
            if (random == null) {
                random = new SplittableRandom(registration.seed() * 31 + connection.id());
            }
            return random;
        }

        @Override
        public void resume(FlowDirection flow) {
            if (!stopped) {
                connection.reactor.execute(() -> connection.resumeFaulted(flow));
            }
        }

        @Override
        public void resumeAt(FlowDirection flow, long nanoTime) {
            schedule(nanoTime, () -> connection.resumeFaulted(flow));
        }

        @Override
        public Scheduled schedule(long nanoTime, Runnable action) {
            if (stopped) {
                return () -> { };
            }
            if (timers == null) {
                timers = new ArrayList<>(2);
            } else {
                timers.removeIf(t -> !t.isScheduled());
            }
            Timers.Timer timer = connection.reactor.timers.schedule(nanoTime, () -> {
                if (!stopped) {
                    try {
                        action.run();
                    } catch (RuntimeException | Error e) {
                        Connection.log.warn("#{} timer of fault {} failed", connection.id(), registration.fault(), e);
                    }
                }
            });
            timers.add(timer);
            return timer::cancel;
        }

        @Override
        public void close() {
            if (!stopped) {
                requestEnd(false);
            }
        }

        @Override
        public void reset() {
            if (!stopped) {
                requestEnd(true);
            }
        }

        @Override
        public String toString() {
            return "fault " + registration.fault() + " on connection #" + connection.id();
        }
    }
}
