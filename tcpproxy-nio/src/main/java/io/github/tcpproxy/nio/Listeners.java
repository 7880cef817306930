package io.github.tcpproxy.nio;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Opens a proxy's listen sockets: one per reactor with {@code SO_REUSEPORT} where the kernel
 * spreads connections over such a group (Linux), so that every reactor accepts its own clients,
 * else one socket whose acceptor hands clients to the reactors in turn.
 *
 * <p>The engine switch {@value #PROPERTY} ({@code true} or {@code false}) overrides the choice,
 * for benchmarks and for platforms where the group behaves differently.
 */
final class Listeners {
    /** System property that turns per-reactor listen sockets on or off. */
    static final String PROPERTY = "io.github.tcpproxy.nio.acceptOnEveryReactor";

    /** Binds a free port anew this many times when another process took it in between. */
    private static final int EPHEMERAL_RETRIES = 5;

    private Listeners() {
    }

    /** Whether a proxy with {@code reactors} threads gets one listen socket per reactor. */
    static boolean perReactor(int reactors) {
        String forced = System.getProperty(PROPERTY);
        if (forced != null) {
            return reactors > 1 && Boolean.parseBoolean(forced.trim());
        }
        // Elsewhere SO_REUSEPORT does not balance (BSD, macOS) or means something else (Windows).
        return reactors > 1 && System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
    }

    /**
     * Opens and binds the listen sockets, all non-blocking.
     *
     * @param receiveBufferSize {@code SO_RCVBUF} for the accepted sockets, or 0 for the system's
     * @param count how many: 1, or one per reactor with {@code SO_REUSEPORT}
     * @throws IOException when the address cannot be bound; nothing is left open then
     */
    static List<ServerSocketChannel> open(InetSocketAddress listen, int backlog, int receiveBufferSize, int count)
            throws IOException {
        if (count == 1) {
            ServerSocketChannel server = openUnbound(listen, false, receiveBufferSize);
            try {
                server.bind(listen, backlog);
            } catch (IOException e) {
                closeAll(List.of(server));
                throw e;
            }
            return List.of(server);
        }
        for (int attempt = 1; ; attempt++) {
            // A socket without SO_REUSEPORT fails to bind where anyone listens, so a second proxy
            // on the same port is an error rather than a silent share of the first one's clients.
            // It also picks the port when the caller asked for port 0.
            InetSocketAddress address;
            try (ServerSocketChannel probe = openUnbound(listen, false, receiveBufferSize)) {
                probe.bind(listen, backlog);
                address = (InetSocketAddress) probe.getLocalAddress();
            }
            List<ServerSocketChannel> group = new ArrayList<>(count);
            try {
                for (int i = 0; i < count; i++) {
                    ServerSocketChannel server = openUnbound(listen, true, receiveBufferSize);
                    group.add(server);
                    server.bind(address, backlog);
                }
                return group;
            } catch (BindException e) {
                closeAll(group);
                // Only a free port we were given can be taken in between; a fixed one is in use.
                if (listen.getPort() != 0 || attempt == EPHEMERAL_RETRIES) {
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                closeAll(group);
                throw e;
            }
        }
    }

    /**
     * A non-blocking listen socket for {@code listen}, not bound yet; {@code receiveBufferSize} 0
     * keeps the system's. A given IPv4 address gets an IPv4 socket: the JDK's default is a
     * dual-stack IPv6 one, which would hand us every client as an IPv4-mapped IPv6 address. A
     * wildcard address keeps the dual-stack socket, which takes IPv6 clients too.
     */
    static ServerSocketChannel openUnbound(InetSocketAddress listen, boolean reusePort, int receiveBufferSize)
            throws IOException {
        InetAddress address = listen.getAddress();
        ServerSocketChannel server = address instanceof Inet4Address && !address.isAnyLocalAddress()
                ? ServerSocketChannel.open(StandardProtocolFamily.INET) : ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (reusePort) {
                server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            if (receiveBufferSize > 0) {
                // Before bind: accepted sockets inherit it, and the window scale is agreed at the handshake.
                server.setOption(StandardSocketOptions.SO_RCVBUF, receiveBufferSize);
            }
            server.configureBlocking(false);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    static void closeAll(List<ServerSocketChannel> servers) {
        for (ServerSocketChannel s : servers) {
            try {
                s.close();
            } catch (IOException e) {
                NioProxy.log.trace("close failed", e);
            }
        }
    }
}
