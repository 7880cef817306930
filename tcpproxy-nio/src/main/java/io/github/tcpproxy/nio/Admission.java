package io.github.tcpproxy.nio;

import io.github.tcpproxy.CidrRange;
import io.github.tcpproxy.RefusalReason;
import io.github.tcpproxy.spi.ProxyConfig;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Decides whether a newly accepted client is served: the allow and deny lists, the global and
 * per-address connection limits and the per-address connection rate. {@link #admit} runs on the
 * acceptors' threads, one at a time ({@link NioProxy#admit}); {@link #release} on whichever
 * reactor ends the connection.
 *
 * <p>Per-address state lives in a map only while it matters: while the address has connections
 * open, or (with a rate limit) until its bucket is full again. The rate limit is a token bucket
 * written as GCRA (one deadline per address): each connection pushes the address's "theoretical
 * arrival time" one interval ahead, and a connection is refused when that time is more than a
 * burst ahead of now.
 */
final class Admission {
    /** Per-address state. Guarded by its own monitor. */
    private static final class Client {
        int open;
        /** GCRA theoretical arrival time, {@link System#nanoTime()} based. */
        long tat;
        /**
         * The rate's interval when {@link #tat} was last set, so that a changed rate rescales what
         * is owed; 0 while {@link #tat} was never set (nanoTime values may be negative, so a tat of
         * 0 would not say that).
         */
        long tatInterval;
        /** Set once removed from the map: a thread that still holds it must look it up again. */
        boolean removed;

        Client(InetAddress ignored) {
            // Constructor shape for computeIfAbsent(key, Client::new): no capturing lambda.
        }
    }

    private static final long SWEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final List<CidrRange> allow;
    private final List<CidrRange> deny;
    /** The limits in force; replaced whole by {@link #setLimits}, so that a reader sees one consistent set. */
    private record Limits(int maxConnections, int maxPerClient, long intervalNanos, long burstNanos) {
        static Limits of(int maxConnections, int maxPerClient, int ratePerSecond) {
            long interval = ratePerSecond > 0 ? TimeUnit.SECONDS.toNanos(1) / ratePerSecond : 0;
            return new Limits(maxConnections, maxPerClient, interval, interval * Math.max(0, ratePerSecond - 1));
        }
    }

    private volatile Limits limits;
    private final IntSupplier openConnections;
    private final ConcurrentHashMap<InetAddress, Client> clients;
    /** Written by whichever acceptor sweeps; two sweeping at once is harmless. */
    private volatile long lastSweep;

    /**
     * @param openConnections the number of client connections open now, for the global limit
     */
    Admission(ProxyConfig config, IntSupplier openConnections) {
        this.allow = config.allow();
        this.deny = config.deny();
        this.limits = Limits.of(config.maxConnections(), config.maxConnectionsPerClient(),
                config.maxConnectionRatePerClient());
        this.openConnections = openConnections;
        this.clients = new ConcurrentHashMap<>();
    }

    /**
     * Whether {@code address} may be served; if so it is counted as open until
     * {@link #release(InetAddress)}. On an acceptor's thread, under {@link NioProxy#admit}'s lock.
     *
     * @return null to serve it, else why not
     */
    RefusalReason admit(InetAddress address, long now) {
        if (!allowed(address)) {
            return RefusalReason.DENIED;
        }
        Limits l = limits;
        if (l.maxConnections > 0 && openConnections.getAsInt() >= l.maxConnections) {
            return RefusalReason.MAX_CONNECTIONS;
        }
        sweep(now, l);
        // Counted per address even without a per-client limit: limits may be set at run time,
        // and the connections open then must be counted, or their ends would uncount new ones.
        int maxPerClient = l.maxPerClient;
        long intervalNanos = l.intervalNanos;
        long burstNanos = l.burstNanos;
        // A try fails only if a release() removed the entry between the lookup and the lock, and
        // each connection of this address releases once, so the loop ends: every admitted client
        // is counted, and its release never uncounts another.
        while (true) {
            Client c = clients.computeIfAbsent(address, Client::new);
            synchronized (c) {
                if (c.removed) {
                    continue; // released and removed meanwhile: look again
                }
                if (maxPerClient > 0 && c.open >= maxPerClient) {
                    return RefusalReason.MAX_CONNECTIONS_PER_CLIENT;
                }
                if (intervalNanos > 0) {
                    long tat = c.tatInterval > 0 && c.tat - now > 0 ? c.tat : now;
                    if (tat != now && c.tatInterval != intervalNanos) {
                        // The rate changed since (setLimits): what this client owes, counted in
                        // connections at the old rate, at the new one (both below a second).
                        tat = now + (tat - now) * intervalNanos / c.tatInterval;
                    }
                    if (tat - now > burstNanos) {
                        return RefusalReason.RATE_LIMITED;
                    }
                    c.tat = tat + intervalNanos;
                    c.tatInterval = intervalNanos;
                }
                c.open++;
                return null;
            }
        }
    }

    /** Whether the access lists let {@code address} in: not denied, and allowed if there is an allow list. */
    boolean allowed(InetAddress address) {
        for (int i = 0; i < deny.size(); i++) {
            if (deny.get(i).contains(address)) {
                return false;
            }
        }
        if (allow.isEmpty()) {
            return true;
        }
        for (int i = 0; i < allow.size(); i++) {
            if (allow.get(i).contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** A connection admitted for {@code address} has ended. Any thread. */
    void release(InetAddress address) {
        if (address == null) {
            return;
        }
        Client c = clients.get(address);
        if (c == null) {
            return;
        }
        synchronized (c) {
            if (c.open > 0) {
                c.open--;
            }
            if (c.open == 0 && limits.intervalNanos == 0 && !c.removed) {
                c.removed = true;
                clients.remove(address, c);
            }
        }
    }

    /** Addresses with state kept, for tests: 0 once every connection ended and buckets refilled. */
    int trackedAddresses() {
        return clients.size();
    }

    /**
     * Changes the limits for clients accepted from now on; 0 turns one off. Open connections are
     * never closed by a lower limit, but count against it (every connection is counted, limit
     * or not). Any thread.
     */
    void setLimits(int maxConnections, int maxPerClient, int ratePerSecond) {
        limits = Limits.of(maxConnections, maxPerClient, ratePerSecond);
    }

    /** Drops rate state of addresses with nothing open whose bucket is full again, once a second. */
    private void sweep(long now, Limits l) {
        if (clients.isEmpty() || now - lastSweep < SWEEP_NANOS) {
            return;
        }
        lastSweep = now;
        for (Iterator<Client> it = clients.values().iterator(); it.hasNext(); ) {
            Client c = it.next();
            synchronized (c) {
                if (c.open == 0 && (c.tatInterval == 0 || c.tat - now <= 0)) {
                    c.removed = true;
                    it.remove();
                }
            }
        }
    }
}
