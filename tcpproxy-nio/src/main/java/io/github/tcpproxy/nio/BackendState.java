package io.github.tcpproxy.nio;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.internal.Nanos;
import io.github.tcpproxy.spi.BackendView;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's live state of one backend, shared by all reactors: its current settings, health
 * and counters. Connection counts change once per connection event and byte counts go to
 * {@link LongAdder}s, so reactors rarely contend on them.
 */
final class BackendState implements BackendView {
    private static final Logger log = LoggerFactory.getLogger("io.github.tcpproxy.health");

    private final NioProxy proxy;
    private volatile Backend backend;
    private volatile int index;
    private volatile boolean removed;

    /** Active health check verdict; true when there are no active checks. */
    private volatile boolean checkUp = true;
    /** Set by passive health: down until {@link #passiveDownUntil}, then tried again. */
    private volatile boolean passiveDown;
    private volatile long passiveDownUntil;
    private final AtomicInteger failuresInARow = new AtomicInteger();
    /** When it last came up (or was added at run time), for slow start. */
    private volatile long upSince;

    // Active checks: touched by the one reactor that runs this backend's checks only.
    int checkSuccesses;
    int checkFailures;

    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger inactive = new AtomicInteger();
    final AtomicLong connections = new AtomicLong();
    final AtomicLong connectFailures = new AtomicLong();
    final LongAdder bytesUp = new LongAdder();
    final LongAdder bytesDown = new LongAdder();

    /**
     * @param rampUp whether slow start applies from now: true for a backend added to a running
     *     proxy, false for the backends a proxy starts with (nothing to protect them from yet)
     */
    BackendState(NioProxy proxy, Backend backend, int index, boolean rampUp) {
        this.proxy = proxy;
        this.backend = backend;
        this.index = index;
        this.upSince = rampUp ? System.nanoTime() : System.nanoTime() - proxy.slowStartNanos;
    }

    NioProxy proxy() {
        return proxy;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    void update(Backend newSettings) {
        this.backend = newSettings;
    }

    @Override
    public int index() {
        return index;
    }

    void index(int index) {
        this.index = index;
    }

    boolean isRemoved() {
        return removed;
    }

    void markRemoved() {
        removed = true;
    }

    /** The configured weight, scaled down while slow start ramps it up. */
    @Override
    public int weight() {
        int weight = backend.weight();
        long ramp = proxy.slowStartNanos;
        if (ramp > 0 && weight > 0) {
            long elapsed = System.nanoTime() - upSince;
            if (elapsed < ramp) {
                // In double: weight x elapsed overflows a long for large weights and long ramps.
                return (int) Math.max(1, (double) weight * elapsed / ramp);
            }
        }
        return weight;
    }

    @Override
    public int activeConnections() {
        return active.get();
    }

    @Override
    public int inactiveConnections() {
        return inactive.get();
    }

    @Override
    public boolean isUp() {
        return checkUp && !(passiveDown && System.nanoTime() - passiveDownUntil < 0);
    }

    /** A connection to this backend was established. */
    void connectSucceeded() {
        failuresInARow.set(0);
        if (passiveDown) {
            passiveDown = false;
            upSince = System.nanoTime();
            log.info("backend {} is up again: a connection succeeded", name());
        }
    }

    /** A connection attempt to this backend failed or timed out. */
    void connectFailed() {
        connectFailures.incrementAndGet();
        int maxFails = proxy.config.maxFails();
        int inARow = failuresInARow.incrementAndGet();
        if (maxFails > 0 && inARow >= maxFails) {
            passiveDownUntil = System.nanoTime() + Nanos.of(proxy.config.failTimeout());
            if (!passiveDown) {
                passiveDown = true;
                log.warn("backend {} is down: {} connect failure(s) in a row; retrying in {} ms", name(),
                        inARow, TimeUnit.NANOSECONDS.toMillis(Nanos.of(proxy.config.failTimeout())));
            }
        }
    }

    /** Records an active check's result; flips health after rise/fall results in a row. */
    void checkResult(boolean ok, String detail) {
        var check = proxy.config.healthCheck();
        if (ok) {
            checkFailures = 0;
            checkSuccesses++;
            if (!checkUp && checkSuccesses >= check.rise()) {
                checkUp = true;
                upSince = System.nanoTime();
                log.info("backend {} is up: {} check(s) in a row succeeded", name(), checkSuccesses);
            }
        } else {
            checkSuccesses = 0;
            checkFailures++;
            if (checkUp && checkFailures >= check.fall()) {
                checkUp = false;
                log.warn("backend {} is down: {} check(s) in a row failed, last: {}", name(), checkFailures, detail);
            }
        }
    }

    BackendStatus status() {
        return new BackendStatus(backend, isUp() ? weight() : 0, isUp(), active.get(), inactive.get(),
                connections.get(), bytesUp.sum(), bytesDown.sum(), connectFailures.get());
    }

    String name() {
        return backend.name();
    }

    @Override
    public String toString() {
        return backend.name();
    }
}
