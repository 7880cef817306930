package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * IPVS's {@code lblcr}, locality-based least connections with replication: each destination
 * address has a set of backends, and a connection goes to the set member with the least
 * connection overhead per weight. The set starts with one backend chosen by weighted least
 * connections over all; it grows by another such pick when no member is eligible or the chosen
 * one is busy (more active connections than its weight while another eligible backend has fewer
 * than half its weight); it shrinks by its most loaded member when it has more than one and has
 * not changed for the shrink time. An entry unused for the expiration time is forgotten. Both
 * times default to 24 hours, IPVS's {@code lblcr_expiration}, which serves for both.
 *
 * <p>On a proxy the destination is the {@linkplain SelectionContext#listenAddress() listen
 * address} the client reached (its IP). So with one listen address all clients share one set,
 * exactly as IPVS {@code lblcr} behaves for one virtual service: connections go to a small group
 * of backends that grows under load and shrinks back when the load has long gone.
 *
 * <p>Thread-safe without locks: a set is an immutable array replaced by compare-and-set; a
 * lookup that changes nothing allocates nothing.
 */
public final class LocalityLeastConnectionsReplicatedStrategy implements Strategy {
    /** IPVS's {@code lblcr_expiration} default: 24 hours. */
    public static final Duration DEFAULT_EXPIRATION = Duration.ofHours(24);

    private final DestinationCache<Entry> cache;
    private final long shrinkNanos;

    /** One destination's set, immutable. Members are in backend-list order (ties go to the earlier). */
    private static final class Members {
        final List<BackendView> backends;
        final BackendView[] views;
        final long lastModified;

        Members(List<BackendView> backends, BackendView[] views, long lastModified) {
            this.backends = backends;
            this.views = views;
            this.lastModified = lastModified;
        }

        boolean contains(BackendView b) {
            for (BackendView v : views) {
                if (v == b) {
                    return true;
                }
            }
            return false;
        }

        Members with(BackendView b, long now) {
            BackendView[] grown = Arrays.copyOf(views, views.length + 1);
            int at = views.length;
            while (at > 0 && grown[at - 1].index() > b.index()) {
                grown[at] = grown[at - 1];
                at--;
            }
            grown[at] = b;
            return new Members(backends, grown, now);
        }

        Members without(BackendView b, long now) {
            BackendView[] shrunk = new BackendView[views.length - 1];
            int j = 0;
            for (BackendView v : views) {
                if (v != b && j < shrunk.length) {
                    shrunk[j++] = v;
                }
            }
            return new Members(backends, shrunk, now);
        }

        /** The same members as found in another list (by address), those no longer there dropped. */
        Members in(List<BackendView> other) {
            BackendView[] mapped = new BackendView[views.length];
            int j = 0;
            for (BackendView v : views) {
                BackendView found = LocalityLeastConnectionsStrategy.find(other, v);
                if (found != null) {
                    mapped[j++] = found;
                }
            }
            mapped = Arrays.copyOf(mapped, j);
            Arrays.sort(mapped, (a, b) -> Integer.compare(a.index(), b.index()));
            return new Members(other, mapped, lastModified);
        }
    }

    private static final class Entry extends DestinationCache.Entry {
        final AtomicReference<Members> members;

        Entry(Members members, long now) {
            super(now);
            this.members = new AtomicReference<>(members);
        }

        /** The members as seen in {@code backends}. */
        Members current(List<BackendView> backends) {
            while (true) {
                Members m = members.get();
                if (m.backends == backends) {
                    return m;
                }
                Members mapped = m.in(backends);
                if (members.compareAndSet(m, mapped)) {
                    return mapped;
                }
            }
        }
    }

    /** Replicated locality-based least connections with IPVS's 24-hour times. */
    public LocalityLeastConnectionsReplicatedStrategy() {
        this(DEFAULT_EXPIRATION, DEFAULT_EXPIRATION);
    }

    /**
     * Replicated locality-based least connections.
     *
     * @param expiration how long an unused destination is remembered
     * @param shrink how long a set must stay unchanged before its most loaded member is dropped
     * @throws IllegalArgumentException if either is not positive
     */
    public LocalityLeastConnectionsReplicatedStrategy(Duration expiration, Duration shrink) {
        this(expiration, shrink, System::nanoTime);
    }

    /** With a clock in nanoseconds, for tests. */
    LocalityLeastConnectionsReplicatedStrategy(Duration expiration, Duration shrink, LongSupplier nanoClock) {
        long expire = LocalityLeastConnectionsStrategy.checkPositive(
                "locality-least-connections-replicated expiration", expiration);
        this.shrinkNanos = LocalityLeastConnectionsStrategy.checkPositive(
                "locality-least-connections-replicated shrink time", shrink);
        this.cache = new DestinationCache<>(expire, nanoClock);
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        InetAddress destination = context.listenAddress().getAddress();
        long now = cache.now();
        Entry entry = cache.get(destination, now);
        if (entry == null) {
            BackendView pick = Scheduling.weightedLeastConnections(context, backends);
            if (pick != null) {
                cache.put(destination, new Entry(new Members(backends, new BackendView[] {pick}, now), now));
            }
            return pick;
        }
        Members m = entry.current(backends);
        BackendView least = Scheduling.weightedLeastConnections(context, m.views);
        if (m.views.length > 1 && now - m.lastModified > shrinkNanos) {
            BackendView most = mostLoaded(m.views);
            if (most != null) {
                // Losing this race only means another thread changed the set just now.
                entry.members.compareAndSet(m, m.without(most, now));
            }
        }
        if (least != null && !Scheduling.isBusy(least, context, backends)) {
            return least;
        }
        BackendView pick = Scheduling.weightedLeastConnections(context, backends);
        if (pick == null) {
            return null;
        }
        while (true) {
            Members current = entry.current(backends);
            if (current.contains(pick) || entry.members.compareAndSet(current, current.with(pick, now))) {
                return pick;
            }
        }
    }

    /**
     * The member with the most overhead per weight among those with weight (IPVS's
     * {@code ip_vs_dest_set_max}); the earlier one on a tie.
     */
    private static BackendView mostLoaded(BackendView[] members) {
        BackendView most = null;
        long mostLoad = 0;
        int mostWeight = 0;
        for (BackendView b : members) {
            int w = b.weight();
            if (w <= 0) {
                continue;
            }
            long load = Scheduling.overhead(b);
            if (most == null || Scheduling.lessPerWeight(mostLoad, mostWeight, load, w)) {
                most = b;
                mostLoad = load;
                mostWeight = w;
            }
        }
        return most;
    }

    /** The current members for the listen address of {@code context}, in list order; for tests. */
    List<BackendView> members(SelectionContext context) {
        Entry e = cache.get(context.listenAddress().getAddress(), cache.now());
        return e == null ? List.of() : List.of(e.current(context.backends()).views);
    }

    /**
     * Registers {@code locality-least-connections-replicated} (alias {@code lblcr}); options
     * {@code expire=seconds} and {@code shrink=seconds} (default: the expire value, itself
     * default 86400).
     */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "locality-least-connections-replicated";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("lblcr");
        }

        @Override
        public String description() {
            return "per listen address a set of backends (weighted least connections within it) that grows"
                    + " under load and shrinks when idle (options expire=seconds, shrink=seconds)";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown("expire", "shrink");
            long expire = options.getLong("expire", DEFAULT_EXPIRATION.getSeconds(), 1,
                    LocalityLeastConnectionsStrategy.MAX_SECONDS);
            long shrink = options.getLong("shrink", expire, 1, LocalityLeastConnectionsStrategy.MAX_SECONDS);
            return new LocalityLeastConnectionsReplicatedStrategy(Duration.ofSeconds(expire),
                    Duration.ofSeconds(shrink));
        }
    }
}
