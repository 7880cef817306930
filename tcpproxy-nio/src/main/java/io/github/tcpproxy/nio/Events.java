package io.github.tcpproxy.nio;

import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.RefusalReason;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the configured {@link ConnectionListener}s, on the calling reactor thread, catching what
 * they throw so that a faulty listener can harm neither the connection nor the reactor. The proxy
 * holds none when no listener is configured, so that connections then cost nothing extra.
 */
final class Events {
    private static final Logger log = LoggerFactory.getLogger(Events.class);
    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ConnectionListener[] listeners;
    private final AtomicLong lastFailureLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
    private final AtomicLong failuresSinceLog = new AtomicLong();

    private Events(List<ConnectionListener> listeners) {
        this.listeners = listeners.toArray(new ConnectionListener[0]);
    }

    /** The events of {@code listeners}, or null if there are none. */
    static Events of(List<ConnectionListener> listeners) {
        return listeners.isEmpty() ? null : new Events(listeners);
    }

    void accepted(long id, InetSocketAddress client) {
        for (ConnectionListener l : listeners) {
            try {
                l.accepted(id, client);
            } catch (RuntimeException | Error e) {
                failed(l, "accepted", e);
            }
        }
    }

    void refused(InetSocketAddress client, RefusalReason reason) {
        for (ConnectionListener l : listeners) {
            try {
                l.refused(client, reason);
            } catch (RuntimeException | Error e) {
                failed(l, "refused", e);
            }
        }
    }

    void backendChosen(long id, InetSocketAddress backend, int attempt) {
        for (ConnectionListener l : listeners) {
            try {
                l.backendChosen(id, backend, attempt);
            } catch (RuntimeException | Error e) {
                failed(l, "backendChosen", e);
            }
        }
    }

    void connectFailed(long id, InetSocketAddress backend, String reason) {
        for (ConnectionListener l : listeners) {
            try {
                l.connectFailed(id, backend, reason);
            } catch (RuntimeException | Error e) {
                failed(l, "connectFailed", e);
            }
        }
    }

    void closed(ConnectionSummary summary) {
        for (ConnectionListener l : listeners) {
            try {
                l.closed(summary);
            } catch (RuntimeException | Error e) {
                failed(l, "closed", e);
            }
        }
    }

    /**
     * Counts and logs a listener's failure, whatever it threw: an {@link OutOfMemoryError} too,
     * which rethrown would reach code that cannot end half-way (the acceptor would stop listening,
     * a connection's end would skip its bookkeeping); the listener's allocation failed, not ours.
     */
    private void failed(ConnectionListener listener, String method, Throwable e) {
        failuresSinceLog.incrementAndGet();
        long now = System.nanoTime();
        long last = lastFailureLog.get();
        if (now - last >= LOG_EVERY_NANOS && lastFailureLog.compareAndSet(last, now)) {
            log.warn("connection listener {} failed in {} ({} failure(s) in the last second); the connection"
                    + " is not affected", listener.getClass().getName(), method, failuresSinceLog.getAndSet(0), e);
        }
    }
}
