package io.github.tcpproxy.strategy;

import io.github.tcpproxy.internal.Nanos;
import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * IPVS's {@code lblc}, locality-based least connections: each destination address sticks to one
 * backend, chosen by {@linkplain WeightedLeastConnectionsStrategy weighted least connections}
 * and chosen again when it is no longer eligible, or when it has more active connections than
 * its weight while another eligible backend has fewer than half its weight. An entry unused for
 * the expiration time (default 24 hours, as IPVS) is forgotten.
 *
 * <p>On a proxy the destination is the {@linkplain SelectionContext#listenAddress() listen
 * address} the client reached (its IP). So with one listen address all clients share one entry,
 * exactly as IPVS {@code lblc} behaves for one virtual service: every connection goes to one
 * backend until it is unavailable or overloaded as above, then to the next one picked. With
 * several listen addresses each keeps its own backend.
 *
 * <p>Thread-safe: the table is a concurrent map; a hit allocates nothing. Two threads that
 * re-pick at once may both write the entry; the last one stays, as it would under IPVS's lock.
 */
public final class LocalityLeastConnectionsStrategy implements Strategy {
    /** IPVS's {@code lblc_expiration} default: 24 hours. */
    public static final Duration DEFAULT_EXPIRATION = Duration.ofHours(24);
    /** The largest expiration accepted, about 100 years: keeps nanoseconds within a long. */
    static final long MAX_SECONDS = 100L * 365 * 24 * 3600;

    private final DestinationCache<Entry> cache;

    private static final class Entry extends DestinationCache.Entry {
        /** The assigned backend and the list it was taken from. */
        private volatile Assignment assignment;

        Entry(Assignment assignment, long now) {
            super(now);
            this.assignment = assignment;
        }

        /** The assigned backend as seen in {@code backends}, or null if it is no longer there. */
        BackendView resolve(List<BackendView> backends) {
            Assignment a = assignment;
            if (a.backends == backends) {
                return a.backend;
            }
            BackendView now = find(backends, a.backend);
            assignment = new Assignment(backends, now);
            return now;
        }
    }

    private static final class Assignment {
        final List<BackendView> backends;
        final BackendView backend;

        Assignment(List<BackendView> backends, BackendView backend) {
            this.backends = backends;
            this.backend = backend;
        }
    }

    /** Locality-based least connections with IPVS's 24-hour expiration. */
    public LocalityLeastConnectionsStrategy() {
        this(DEFAULT_EXPIRATION);
    }

    /**
     * Locality-based least connections whose entries expire after {@code expiration} unused.
     *
     * @throws IllegalArgumentException if {@code expiration} is not positive
     */
    public LocalityLeastConnectionsStrategy(Duration expiration) {
        this(expiration, System::nanoTime);
    }

    /** With a clock in nanoseconds, for tests. */
    LocalityLeastConnectionsStrategy(Duration expiration, LongSupplier nanoClock) {
        this.cache = new DestinationCache<>(checkPositive("locality-least-connections expiration", expiration), nanoClock);
    }

    static long checkPositive(String what, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be a positive duration, not " + d);
        }
        return Nanos.of(d); // cut (some 146 years: as good as never), not an ArithmeticException
    }

    /** The backend in {@code backends} with the same address as {@code b}, or null. */
    static BackendView find(List<BackendView> backends, BackendView b) {
        if (b == null) {
            return null;
        }
        for (int i = 0, n = backends.size(); i < n; i++) {
            BackendView candidate = backends.get(i);
            if (candidate.address().equals(b.address())) {
                return candidate;
            }
        }
        return null;
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        InetAddress destination = context.listenAddress().getAddress();
        long now = cache.now();
        Entry entry = cache.get(destination, now);
        if (entry != null) {
            BackendView cached = entry.resolve(backends);
            if (cached != null && context.isEligible(cached)
                    && !Scheduling.isBusy(cached, context, backends)) {
                return cached;
            }
        }
        BackendView pick = Scheduling.weightedLeastConnections(context, backends);
        if (pick == null) {
            return null;
        }
        if (entry != null) {
            entry.assignment = new Assignment(backends, pick);
        } else {
            cache.put(destination, new Entry(new Assignment(backends, pick), now));
        }
        return pick;
    }

    /** The number of destinations remembered, for tests. */
    int entries() {
        return cache.size();
    }

    /** Registers {@code locality-least-connections} (alias {@code lblc}); option {@code expire=seconds}. */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "locality-least-connections";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("lblc");
        }

        @Override
        public String description() {
            return "per listen address one backend (weighted least connections), kept until unavailable"
                    + " or overloaded (option expire=seconds, default 86400)";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown("expire");
            return new LocalityLeastConnectionsStrategy(Duration.ofSeconds(options.getLong("expire",
                    DEFAULT_EXPIRATION.getSeconds(), 1, MAX_SECONDS)));
        }
    }
}
