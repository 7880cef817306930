package io.github.tcpproxy.strategy;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The per-destination table of IPVS's {@code lblc} and {@code lblcr}: one entry per destination
 * address, forgotten when unused for the expiration time. IPVS collects stale entries with a
 * timer every minute; we have no timer, so an expired entry is ignored when looked up and a
 * sweep runs, at most once a minute, on the thread of some lookup.
 *
 * <p>Thread-safe; a lookup of an existing entry allocates nothing.
 */
final class DestinationCache<E extends DestinationCache.Entry> {
    /** IPVS's {@code CHECK_EXPIRE_INTERVAL}. */
    static final long SWEEP_INTERVAL_NANOS = 60_000_000_000L;

    /** Something cached for one destination; {@link #lastUse} is refreshed on every hit. */
    static class Entry {
        volatile long lastUse;

        Entry(long now) {
            this.lastUse = now;
        }
    }

    private final ConcurrentHashMap<InetAddress, E> entries = new ConcurrentHashMap<>();
    private final long expireNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong nextSweep;

    DestinationCache(long expireNanos, LongSupplier nanoClock) {
        this.expireNanos = expireNanos;
        this.nanoClock = nanoClock;
        this.nextSweep = new AtomicLong(nanoClock.getAsLong() + SWEEP_INTERVAL_NANOS);
    }

    /** The clock's time now, in nanoseconds. */
    long now() {
        return nanoClock.getAsLong();
    }

    /** The live entry for {@code destination}, its last use set to {@code now}; null if none or expired. */
    E get(InetAddress destination, long now) {
        long due = nextSweep.get();
        if (now - due >= 0 && nextSweep.compareAndSet(due, now + SWEEP_INTERVAL_NANOS)) {
            entries.values().removeIf(e -> now - e.lastUse > expireNanos);
        }
        E e = entries.get(destination);
        if (e == null) {
            return null;
        }
        if (now - e.lastUse > expireNanos) {
            entries.remove(destination, e);
            return null;
        }
        e.lastUse = now;
        return e;
    }

    /** Stores a new entry for {@code destination}, replacing any. */
    void put(InetAddress destination, E entry) {
        entries.put(destination, entry);
    }

    /** The number of entries, expired ones not yet swept included. */
    int size() {
        return entries.size();
    }
}
