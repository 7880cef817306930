package io.github.tcpproxy.bench;

import java.io.Closeable;
import java.io.IOException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds a phase in time whatever the proxy does: when the deadline passes it closes everything
 * registered, which makes blocked socket calls fail, so a stalled proxy becomes an error instead
 * of a hang. Close the watchdog when the phase ends in time.
 */
final class Watchdog implements AutoCloseable {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Queue<Closeable> guarded = new ConcurrentLinkedQueue<>();
    private final ScheduledFuture<?> alarm;
    private volatile boolean fired;

    private Watchdog(long millis) {
        this.alarm = TIMER.schedule(this::fire, millis, TimeUnit.MILLISECONDS);
    }

    /** A watchdog that fires {@code millis} from now. */
    static Watchdog arm(long millis) {
        return new Watchdog(millis);
    }

    /** Registers something to close at the deadline; returns it. */
    <T extends Closeable> T guard(T c) {
        guarded.add(c);
        if (fired) {
            closeQuietly(c);
        }
        return c;
    }

    /** Unregisters something closed normally, so the queue does not grow with the phase. */
    void release(Closeable c) {
        guarded.remove(c);
    }

    /** Whether the deadline passed and everything was closed. */
    boolean fired() {
        return fired;
    }

    private void fire() {
        fired = true;
        Closeable c;
        while ((c = guarded.poll()) != null) {
            closeQuietly(c);
        }
    }

    static void closeQuietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                // closing on the way out: nothing more to do
            }
        }
    }

    @Override
    public void close() {
        alarm.cancel(false);
        guarded.clear();
    }
}
