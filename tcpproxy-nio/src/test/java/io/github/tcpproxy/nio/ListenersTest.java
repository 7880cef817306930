package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxyException;
import io.github.tcpproxy.internal.Addresses;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One listen socket per reactor where the platform spreads clients over them, else one. */
@Timeout(60)
class ListenersTest {

    @Test
    void everyReactorAcceptsItsShareOfClients() throws Exception {
        assumeThat(Listeners.perReactor(2)).as("per-reactor listen sockets on this platform").isTrue();
        try (EchoServer backend = EchoServer.start();
                RunningProxy running = Loopback.proxyTo(backend).reactorThreads(2).start()) {
            NioProxy proxy = (NioProxy) running;
            byte[] hello = "hello\n".getBytes(StandardCharsets.US_ASCII);
            // The kernel hashes each client's address and port onto one socket of the group: with
            // 200 clients from as many ports, both reactors get some (all on one: 2^-199).
            for (int i = 0; i < 200; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    EchoServer.assertEchoes(client, hello);
                }
            }
            Await.until("every connection ended", Duration.ofSeconds(10),
                    () -> proxy.stats().activeConnections() == 0);
            long[] accepted = Arrays.stream(proxy.reactors).mapToLong(r -> r.accepted).toArray();
            assertThat(accepted).as("clients accepted per reactor").doesNotContain(0L);
            assertThat(accepted[0] + accepted[1]).isEqualTo(200);
        }
    }

    @Test
    void aSecondProxyOnTheSamePortIsRefusedNotShared() throws Exception {
        try (EchoServer backend = EchoServer.start();
                RunningProxy first = Loopback.proxyTo(backend).reactorThreads(2).start()) {
            String taken = Addresses.format(first.localAddress());
            assertThatThrownBy(() -> Loopback.proxyTo(backend).listen(taken).reactorThreads(2).start())
                    .isInstanceOf(TcpProxyException.class)
                    .hasMessageContaining("cannot listen on " + taken);
        }
    }

    @Test
    void theSwitchTurnsPerReactorSocketsOff() {
        String before = System.getProperty(Listeners.PROPERTY);
        try {
            System.setProperty(Listeners.PROPERTY, "false");
            assertThat(Listeners.perReactor(4)).isFalse();
            System.setProperty(Listeners.PROPERTY, "true");
            assertThat(Listeners.perReactor(4)).isTrue();
            assertThat(Listeners.perReactor(1)).as("one reactor needs one socket").isFalse();
        } finally {
            if (before == null) {
                System.clearProperty(Listeners.PROPERTY);
            } else {
                System.setProperty(Listeners.PROPERTY, before);
            }
        }
    }
}
