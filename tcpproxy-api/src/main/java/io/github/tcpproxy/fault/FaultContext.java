package io.github.tcpproxy.fault;

import java.net.InetSocketAddress;
import java.util.random.RandomGenerator;

/**
 * What a {@link ConnectionFault} knows about its connection and may do to it. Given to
 * {@link Fault#attach}; valid on the connection's reactor thread only, for as long as the fault
 * applies to the connection.
 */
public interface FaultContext {

    /** A timer made with {@link #schedule}; cancelling it after it ran does nothing. */
    interface Scheduled {
        /** Stops it from running, if it has not run yet. */
        void cancel();
    }

    /** The connection's id: 1 for the first connection the proxy accepted, then 2, 3... */
    long connectionId();

    /** The client's address. */
    InetSocketAddress clientAddress();

    /** The backend the connection is connected (or connecting) to, or null before one is chosen. */
    InetSocketAddress backend();

    /** The directions this fault is aimed at on this connection. */
    FlowDirection direction();

    /** The reactor's clock, {@link System#nanoTime()}. */
    long nanoTime();

    /**
     * Random numbers for this fault on this connection, seeded from the fault's seed and the
     * connection id, so that a run with the same seed draws the same numbers.
     */
    RandomGenerator random();

    /** Offers the data (or FIN) held in direction {@code flow} again, soon, on the reactor. */
    void resume(FlowDirection flow);

    /** Offers the data held in direction {@code flow} again at {@code nanoTime} (reactor clock). */
    default void resumeAt(FlowDirection flow, long nanoTime) {
        schedule(nanoTime, () -> resume(flow));
    }

    /**
     * Runs {@code action} on the reactor at {@code nanoTime} (reactor clock), unless the fault
     * stopped applying to the connection before: such timers are cancelled then.
     */
    Scheduled schedule(long nanoTime, Runnable action);

    /**
     * Ends the connection in an orderly way (FIN to both peers), soon, on the reactor. Bytes the
     * proxy holds and has not written yet are dropped (as a cut connection loses them).
     */
    void close();

    /** Ends the connection with a reset to both peers, soon, on the reactor. */
    void reset();

    /** Ends the connection the way {@code ending} says. */
    default void end(Ending ending) {
        if (ending == Ending.RESET) {
            reset();
        } else {
            close();
        }
    }
}
