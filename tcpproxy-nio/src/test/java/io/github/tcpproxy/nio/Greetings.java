package io.github.tcpproxy.nio;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Clients that learn which backend served them: the backends are {@link EchoServer}s started
 * with a one-letter greeting and a newline ({@code EchoServer.start("a\n")}), so the first two
 * bytes a client reads name its backend.
 */
final class Greetings {
    private Greetings() {
    }

    /** Reads the two-byte greeting and returns its letter. */
    static String read(Socket client) throws IOException {
        return new String(Payloads.readFully(client.getInputStream(), 2), StandardCharsets.US_ASCII).trim();
    }

    /**
     * One client through the proxy: connects, reads the greeting, ends its output and reads to the
     * backend's end, so that the connection is over on both sides when this returns.
     *
     * @return the letter of the backend that served it
     */
    static String serve(RunningProxy proxy) throws IOException {
        try (Socket client = Sockets.connect(proxy.localAddress())) {
            String name = read(client);
            client.shutdownOutput();
            int end = client.getInputStream().read();
            if (end != -1) {
                throw new AssertionError("backend " + name + " sent " + end + " after its greeting");
            }
            return name;
        }
    }

    /** {@link #serve} {@code clients} times in a row: how many each backend served. */
    static Map<String, Integer> split(RunningProxy proxy, int clients) throws IOException {
        Map<String, Integer> split = new TreeMap<>();
        for (int i = 0; i < clients; i++) {
            split.merge(serve(proxy), 1, Integer::sum);
        }
        return split;
    }

    /**
     * Connects clients until one is served by backend {@code name}, at most {@code tries} of
     * them, and returns that one still open (after its greeting); the others are closed.
     */
    static Socket connectTo(RunningProxy proxy, String name, int tries) throws IOException {
        for (int i = 0; i < tries; i++) {
            Socket client = Sockets.connect(proxy.localAddress());
            try {
                if (read(client).equals(name)) {
                    return client;
                }
            } catch (IOException | RuntimeException e) {
                client.close();
                throw e;
            }
            client.close();
        }
        throw new AssertionError("no client reached backend " + name + " in " + tries + " tries");
    }
}
