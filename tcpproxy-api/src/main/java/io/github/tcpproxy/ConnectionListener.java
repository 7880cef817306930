package io.github.tcpproxy;

import java.net.InetSocketAddress;

/**
 * Hears what happens to each client connection, to build access logs or metrics: register with
 * {@link TcpProxy.Builder#connectionListener(ConnectionListener)}. Every method has an empty
 * default, so implement only those you need.
 *
 * <p><b>Threading:</b> methods are called on the proxy's reactor threads, the threads that relay
 * the bytes of many connections. They must return quickly and never block: no I/O, no locks held
 * for long, no waiting. Hand slow work (writing a file, sending to a collector) to another thread
 * through a bounded queue. Calls for one connection come from one thread, in order: accepted,
 * backend chosen (then connect failed and backend chosen again, for each retry), closed. Calls
 * for different connections may come from different threads at once, so a listener must be
 * thread-safe.
 *
 * <p>An exception thrown by a listener is caught and logged (at most once a second); it never
 * affects the connection or the proxy.
 */
public interface ConnectionListener {

    /**
     * A client was accepted and passed the access lists and limits. With
     * {@link TcpProxy.Builder#acceptProxyProtocol(boolean) acceptProxyProtocol} on, this is called
     * once the client's PROXY protocol header is read, with the address it gives; if the
     * connection ends before that (a bad or missing header), it is called with the address that
     * connected, just before {@link #closed}. Either way, once per connection and before the
     * other calls for it.
     *
     * @param id the connection's number, unique within the proxy, counting from 1
     * @param client the client's address
     */
    default void accepted(long id, InetSocketAddress client) {
    }

    /**
     * A client was accepted and closed at once without being served; it has no id. Called just
     * before its socket is closed, so a client that sees its connection end has been reported.
     *
     * @param client the client's address
     * @param reason why
     */
    default void refused(InetSocketAddress client, RefusalReason reason) {
    }

    /**
     * The strategy chose a backend; the connect starts now.
     *
     * @param id the connection's number
     * @param backend the backend's address
     * @param attempt 1 for the first attempt, then 2, 3... after connect failures
     */
    default void backendChosen(long id, InetSocketAddress backend, int attempt) {
    }

    /**
     * A connect to a backend failed or timed out; another backend may be tried next.
     *
     * @param id the connection's number
     * @param backend the backend's address
     * @param reason the failure, as text (for example "Connection refused")
     */
    default void connectFailed(long id, InetSocketAddress backend, String reason) {
    }

    /**
     * The connection has ended, however it ended; called exactly once per accepted connection.
     *
     * @param summary what happened, with bytes, duration and who ended first
     */
    default void closed(ConnectionSummary summary) {
    }
}
