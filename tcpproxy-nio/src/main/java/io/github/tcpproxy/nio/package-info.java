/**
 * The NIO engine. One {@link io.github.tcpproxy.nio.Reactor} thread per core owns a Selector and
 * every channel registered with it; a client/backend {@link io.github.tcpproxy.nio.Connection}
 * lives its whole life on one reactor, so its state needs no locks. Other threads talk to a
 * reactor only through {@link io.github.tcpproxy.nio.Reactor#execute(Runnable)}.
 *
 * <p>Only {@link io.github.tcpproxy.nio.NioEngineProvider} is public, for
 * {@link java.util.ServiceLoader}; the module exports no package.
 */
package io.github.tcpproxy.nio;
