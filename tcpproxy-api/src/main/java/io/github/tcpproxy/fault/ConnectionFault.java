package io.github.tcpproxy.fault;

import java.net.InetSocketAddress;

/**
 * The part of a {@link Fault} that lives with one connection: its state for that connection and
 * the decisions the proxy asks it for. Every method runs on the connection's reactor thread, one
 * at a time, so the state needs no locks; none may block or sleep. Each has a default that does
 * nothing to the connection, so a fault overrides only what it changes.
 *
 * <p>Data: when bytes read from one side are ready to be written to the other, the proxy asks
 * {@link #allow} how many may go now. Returning fewer than offered holds the rest back: the proxy
 * keeps them in that direction's buffer and stops reading the source meanwhile, so nothing is
 * lost and memory stays bounded. Held data is offered again when the fault calls
 * {@link FaultContext#resume} or {@link FaultContext#resumeAt}, and whenever the proxy has another
 * reason to ask. Likewise {@link #allowEnd} can hold a FIN back, always behind the data before it.
 * Only directions the fault is aimed at are asked about.
 */
public interface ConnectionFault {

    /**
     * Called once, right after {@link Fault#attach}: when the connection was accepted (it has no
     * backend yet) or, for a connection that was open when the fault was added, at that time. May
     * end the connection at once with {@link FaultContext#close()} or {@link FaultContext#reset()}.
     */
    default void start() {
    }

    /**
     * Whether the proxy may connect to {@code backend} for this connection. False makes the
     * attempt fail as if the backend refused it: the proxy counts a connect failure and tries
     * another backend, as the strategy and the configured attempts allow.
     *
     * @implSpec The default returns true.
     */
    default boolean allowConnect(InetSocketAddress backend) {
        return true;
    }

    /**
     * How many of the {@code available} bytes may be written on in direction {@code flow} now.
     * Return {@code available} (or more) to pass them all, fewer to pass part, 0 to hold them all
     * until resumed.
     *
     * @param flow {@link FlowDirection#CLIENT_TO_BACKEND} or {@link FlowDirection#BACKEND_TO_CLIENT}
     * @param available bytes waiting, at least 1
     * @param readNanos when the proxy read them ({@link System#nanoTime()}); the same value for
     *     every question about the same chunk, so a fault can tell a new chunk from an old one
     * @implSpec The default returns {@code available}.
     */
    default int allow(FlowDirection flow, int available, long readNanos) {
        return available;
    }

    /** Called after {@code bytes} (at least 1) were written on in direction {@code flow}. */
    default void passed(FlowDirection flow, int bytes) {
    }

    /**
     * Whether the source's end of stream (its FIN) may be passed on in direction {@code flow} now;
     * asked only once every byte before it was written. False holds it until resumed.
     *
     * @implSpec The default returns true.
     */
    default boolean allowEnd(FlowDirection flow) {
        return true;
    }

    /**
     * Called once when the fault stops applying to the connection: it was removed, or the
     * connection ended. Timers made with {@link FaultContext#schedule} are cancelled already.
     */
    default void stop() {
    }
}
