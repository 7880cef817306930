package io.github.tcpproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback address where connection attempts hang instead of failing: a listening socket that
 * never accepts and whose accept queue is already full, so the kernel drops new SYNs and a
 * connect only ends by its own timeout. Use it as a backend to exercise connect timeouts without
 * leaving the machine. Relies on Linux's behaviour (a full accept queue drops SYNs); other
 * systems may refuse instead, which {@link #start()} reports.
 */
public final class Blackhole implements AutoCloseable {
    private static final int PROBE_TIMEOUT_MILLIS = 200;
    private static final int MAX_FILLERS = 16;

    private final ServerSocket server;
    private final List<Socket> fillers;

    private Blackhole(ServerSocket server, List<Socket> fillers) {
        this.server = server;
        this.fillers = fillers;
    }

    /**
     * Binds {@code 127.0.0.1}, port 0, with a backlog of 1, and connects to it until a connect
     * times out (at most 16 connections, 200 ms for the last one).
     *
     * @throws IllegalStateException if connects kept succeeding or were refused
     */
    public static Blackhole start() {
        List<Socket> fillers = new ArrayList<>();
        ServerSocket server = null;
        try {
            server = new ServerSocket(0, 1, Sockets.loopback());
            InetSocketAddress address = new InetSocketAddress(Sockets.loopback(), server.getLocalPort());
            for (int i = 0; i < MAX_FILLERS; i++) {
                Socket socket = new Socket();
                try {
                    socket.connect(address, PROBE_TIMEOUT_MILLIS);
                    fillers.add(socket);
                } catch (SocketTimeoutException e) {
                    socket.close();
                    return new Blackhole(server, fillers);
                }
            }
            throw new IllegalStateException("the accept queue of " + address + " never filled up after "
                    + MAX_FILLERS + " connections");
        } catch (IOException e) {
            closeAll(server, fillers);
            throw new UncheckedIOException("cannot make a black hole on 127.0.0.1", e);
        } catch (RuntimeException e) {
            closeAll(server, fillers);
            throw e;
        }
    }

    /** The address where connects hang. */
    public InetSocketAddress address() {
        return new InetSocketAddress(Sockets.loopback(), server.getLocalPort());
    }

    /** Closes the listening socket and the connections that fill its queue. */
    @Override
    public void close() {
        closeAll(server, fillers);
    }

    private static void closeAll(ServerSocket server, List<Socket> fillers) {
        for (Socket s : fillers) {
            try {
                s.close();
            } catch (IOException ignored) {
                // going away anyway
            }
        }
        if (server != null) {
            try {
                server.close();
            } catch (IOException ignored) {
                // as above
            }
        }
    }
}
