package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.netty.channel.epoll.Epoll;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Netty peer relays every byte both ways and keeps half-close, on both transports. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NettyRelayTest {

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll"})
    void relaysEveryByteBothWaysAndPassesTheFinOn(String transport) throws Exception {
        assumeTrue(transport.equals("nio") || Epoll.isAvailable(), "Netty's epoll transport does not load here");
        try (EchoServer echo = EchoServer.start();
                NettyRelayMain.Relays relays = NettyRelayMain.Relays.start(transport, 2, List.of(echo.address()))) {
            InetSocketAddress relay = relays.addresses().get(0);
            for (int i = 0; i < 3; i++) {
                try (Socket s = new Socket(relay.getAddress(), relay.getPort())) {
                    EchoServer.assertEchoes(s, Payloads.random(1 << 20, i));
                    s.shutdownOutput();
                    // The echo server answers our FIN with its own, through the relay.
                    assertThat(Payloads.readToEof(s.getInputStream(), 16)).isEmpty();
                }
            }
            assertThat(relays.total()).isEqualTo(3);
            Await.until("the relay's connections closed", Duration.ofSeconds(10), () -> relays.active() == 0);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll"})
    void keepsHalfCloseAlsoWhenDataAndFinComeBeforeTheBackendIsConnected(String transport) throws Exception {
        assumeTrue(transport.equals("nio") || Epoll.isAvailable(), "Netty's epoll transport does not load here");
        // The half-close client writes its request and FIN at once: the epoll transport reads them
        // before the backend connection is up, even with auto-read off.
        try (HalfCloseServer server = new HalfCloseServer();
                NettyRelayMain.Relays relays = NettyRelayMain.Relays.start(transport, 2, List.of(server.address()))) {
            Workloads.HalfClose h = Workloads.halfClose(relays.addresses().get(0), server, 5, 5_000, 20_000);
            assertThat(h.firstFailure()).isNull();
            assertThat(h.kept()).isEqualTo(5);
            assertThat(server.shortRequests()).isZero();
        }
    }

    @Test
    void rejectsAnUnknownTransportByName() {
        assertThatThrownBy(() -> NettyRelayMain.Relays.start("kqueue", 1, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'kqueue'");
    }
}
