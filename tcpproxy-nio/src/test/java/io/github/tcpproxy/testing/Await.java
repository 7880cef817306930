package io.github.tcpproxy.testing;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waits for a condition with a bound, polling it with short pauses that grow from 1 ms to 50 ms.
 * Use it for what has no event to wait on (a counter, a port becoming free); prefer a latch or a
 * future when there is one. It is not a fixed sleep: it returns as soon as the condition holds and
 * fails with an {@link AssertionError} naming what it waited for once the bound is over.
 *
 * <pre>{@code
 * Await.until("no connection open", Duration.ofSeconds(5),
 *         () -> proxy.stats().activeConnections() == 0);
 * }</pre>
 */
public final class Await {
    private static final long FIRST_PAUSE_NANOS = 1_000_000L;
    private static final long MAX_PAUSE_NANOS = 50_000_000L;
    /** A second bound, on the number of polls, in case the clock misbehaves. */
    private static final int MAX_POLLS = 100_000;

    private Await() {
    }

    /**
     * Returns once {@code condition} holds.
     *
     * @param what what is awaited, for the failure message ("backend accepted 3 connections")
     * @throws AssertionError if it still does not hold after {@code within}
     */
    public static void until(String what, Duration within, BooleanSupplier condition) {
        until(what, within, condition::getAsBoolean, ok -> ok);
    }

    /**
     * Returns the first value of {@code value} that {@code ok} accepts.
     *
     * @throws AssertionError naming {@code what} and the last value seen if none was accepted
     *     within the bound
     */
    public static <T> T until(String what, Duration within, Supplier<T> value, Predicate<? super T> ok) {
        long deadline = System.nanoTime() + within.toNanos();
        long pause = FIRST_PAUSE_NANOS;
        T last = null;
        for (int poll = 0; poll < MAX_POLLS; poll++) {
            last = value.get();
            if (ok.test(last)) {
                return last;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            LockSupport.parkNanos(Math.min(pause, left));
            pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
        }
        throw new AssertionError("timed out after " + within.toMillis() + " ms waiting for: " + what
                + " (last value: " + last + ")");
    }

    /**
     * Calls {@code attempt} until it returns without throwing, and returns its result: for an
     * operation that may fail for a while, such as binding a port that was just released.
     *
     * @throws AssertionError naming {@code what}, with the last failure as its cause, if every
     *     attempt within the bound failed
     */
    public static <T> T success(String what, Duration within, Callable<T> attempt) {
        long deadline = System.nanoTime() + within.toNanos();
        long pause = FIRST_PAUSE_NANOS;
        Exception last = null;
        for (int poll = 0; poll < MAX_POLLS; poll++) {
            try {
                return attempt.call();
            } catch (Exception e) {
                last = e;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            LockSupport.parkNanos(Math.min(pause, left));
            pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
        }
        throw new AssertionError("timed out after " + within.toMillis() + " ms waiting for: " + what, last);
    }
}
