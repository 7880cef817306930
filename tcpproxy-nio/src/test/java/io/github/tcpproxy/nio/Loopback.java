package io.github.tcpproxy.nio;

import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.testing.Sockets;
import io.github.tcpproxy.testing.TestServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

/** What the engine's loopback tests share that is not a general fixture. */
final class Loopback {
    private Loopback() {
    }

    /**
     * A builder listening on 127.0.0.1, port 0, with {@code servers} as backends in order. The
     * drain time is shortened so that a test that fails with connections open still ends soon.
     */
    static TcpProxy.Builder proxyTo(TestServer... servers) {
        TcpProxy.Builder builder = TcpProxy.builder()
                .listen(new InetSocketAddress(Sockets.loopback(), 0))
                .drainTimeout(Duration.ofSeconds(3));
        for (TestServer server : servers) {
            builder.backend(server.backend());
        }
        return builder;
    }

    /** The live threads whose name starts with "tcpproxy", the prefix of every engine thread. */
    static Set<Thread> proxyThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("tcpproxy"))
                .collect(Collectors.toSet());
    }
}
