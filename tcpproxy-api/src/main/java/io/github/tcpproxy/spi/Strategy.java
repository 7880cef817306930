package io.github.tcpproxy.spi;

/**
 * Chooses the backend for a new client connection: the scheduler, in IPVS's words.
 *
 * <p>Called on the proxy's reactor threads, possibly several at once: an implementation must be
 * thread-safe, fast and must never block. It sees the client, the listen address and a read-only
 * view of every backend, and returns one of them or {@code null} when none will do; the client is
 * then closed. When a connection attempt fails the proxy asks again with the failed backend
 * {@linkplain SelectionContext#isExcluded(BackendView) excluded}; when it returns a backend
 * removed meanwhile, again, a few times at most. A strategy that throws, or returns something
 * that is not one of the views it was given, costs that client only: it is closed, counted in
 * {@link io.github.tcpproxy.ProxyStats#noBackendClosures()}, and a warning is logged.
 *
 * <p>Create instances directly, or by name through a {@link StrategyProvider}.
 */
@FunctionalInterface
public interface Strategy {

    /**
     * Picks a backend for {@code context.clientAddress()}.
     *
     * @return one of {@code context.backends()}, normally one for which
     *     {@link SelectionContext#isEligible(BackendView)} holds, or {@code null} if none fits
     */
    BackendView select(SelectionContext context);
}
