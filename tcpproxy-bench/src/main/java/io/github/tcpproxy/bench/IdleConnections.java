package io.github.tcpproxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Many idle connections through a target to the {@link NioServer}'s idle port. Each connection
 * sends its 4-byte id and waits for the echo, so when {@link #open} returns every one of them is
 * up end to end (the proxy has connected its backend side too), and then sits idle.
 *
 * <p>{@link #release} ends them three ways in equal shares, to exercise every close path of the
 * proxy: the client closes (FIN), the client resets ({@code SO_LINGER} 0), the backend closes first
 * (FIN from the other side, then the client closes on EOF).
 */
final class IdleConnections implements AutoCloseable {
    private final NioServer server;
    private final InetSocketAddress address;
    private SocketChannel[] clients = new SocketChannel[0];
    private int open;
    private String firstError;

    IdleConnections(NioServer server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    /** How many are open. */
    int count() {
        return open;
    }

    /** The first error met while opening or releasing, or null. */
    String firstError() {
        return firstError;
    }

    /**
     * Opens up to {@code n} connections, stopping at the first failure or after {@code millis};
     * returns how many are open.
     */
    int open(int n, long millis) {
        clients = new SocketChannel[n];
        open = 0;
        ByteBuffer buf = ByteBuffer.allocateDirect(4);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        try (Watchdog dog = Watchdog.arm(millis + Workloads.GRACE_MILLIS)) {
            for (int id = 0; id < n && System.nanoTime() - deadline < 0; id++) {
                SocketChannel ch = SocketChannel.open();
                clients[id] = ch;
                dog.guard(ch);
                ch.bind(new InetSocketAddress(Workloads.sourceAddress(id), 0));
                ch.connect(address);
                buf.clear();
                buf.putInt(0, id);
                StreamServer.writeFully(ch, buf);
                buf.clear();
                StreamServer.readFully(ch, buf);
                if (buf.getInt(0) != id) {
                    throw new IOException("connection " + id + " echoed id " + buf.getInt(0));
                }
                dog.release(ch);
                open = id + 1;
            }
        } catch (IOException | RuntimeException e) {
            note("opening connection " + open + ": " + e);
            if (open < clients.length && clients[open] != null) {
                Watchdog.closeQuietly(clients[open]);
                clients[open] = null;
            }
        }
        return open;
    }

    /** Closes every open connection, a third each way (see the class comment). */
    void release(long millis) {
        try (Watchdog dog = Watchdog.arm(millis)) {
            // Backend first: the server closes ids 2, 5, 8...; each client then reads EOF and closes.
            try {
                server.closeIdle(id -> id % 3 == 2 && id < open).get(millis, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                note("closing idle connections at the backend: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            ByteBuffer buf = ByteBuffer.allocateDirect(16);
            for (int id = 0; id < open; id++) {
                SocketChannel ch = clients[id];
                if (ch == null) {
                    continue;
                }
                try {
                    switch (id % 3) {
                        case 1 -> ch.setOption(StandardSocketOptions.SO_LINGER, 0); // reset on close
                        case 2 -> {
                            dog.guard(ch);
                            buf.clear();
                            int r = ch.read(buf);
                            dog.release(ch);
                            if (r >= 0) {
                                throw new IOException("connection " + id + " got " + r
                                        + " byte(s) instead of EOF after the backend closed");
                            }
                        }
                        default -> {
                            // a plain close: FIN
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    note("releasing connection " + id + ": " + e);
                } finally {
                    Watchdog.closeQuietly(ch);
                    clients[id] = null;
                }
            }
        }
        open = 0;
    }

    private void note(String error) {
        if (firstError == null) {
            firstError = error;
        }
    }

    @Override
    public void close() {
        for (SocketChannel ch : clients) {
            Watchdog.closeQuietly(ch);
        }
        open = 0;
    }
}
