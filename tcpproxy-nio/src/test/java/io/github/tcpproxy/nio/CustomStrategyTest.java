package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.spi.Strategies;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A strategy registered through META-INF/services is found by name and decides where connections go. */
@Timeout(60)
class CustomStrategyTest {

    @Test
    void isFoundByNameAmongTheBuiltInOnes() {
        assertThat(Strategies.names()).contains(AlwaysLastStrategyProvider.NAME, "last", "round-robin");
    }

    @Test
    void sendsEveryConnectionWhereTheStrategySays() throws Exception {
        try (EchoServer a = EchoServer.start();
                EchoServer b = EchoServer.start();
                EchoServer c = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(a, b, c).strategy(AlwaysLastStrategyProvider.NAME).start()) {
            for (int i = 0; i < 20; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    EchoServer.assertEchoes(client, Payloads.random(100, i));
                }
            }

            assertThat(new int[] {a.connections(), b.connections(), c.connections()}).containsExactly(0, 0, 20);
            c.assertNoFailures();
        }
    }

    @Test
    void isAskedAgainWithoutTheBackendThatFailed() throws Exception {
        try (EchoServer a = EchoServer.start();
                EchoServer b = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(a, b)
                        .backend(Backend.of("127.0.0.1", Sockets.closedPort()))
                        .strategy("last")
                        .start()) {
            for (int i = 0; i < 10; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    EchoServer.assertEchoes(client, Payloads.random(100, i));
                }
            }

            assertThat(new int[] {a.connections(), b.connections()}).containsExactly(0, 10);
            assertThat(proxy.stats().connectFailures()).isEqualTo(10);
            b.assertNoFailures();
        }
    }
}
