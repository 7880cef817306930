package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Netty peer relays every byte both ways, keeps half-close and ends both sides on every close
 * path, on both transports. Every socket read and accept has a timeout, and the test's own timeout
 * runs on a thread of its own (a blocked socket write ignores interrupts): a relay that stops
 * reading or never passes a FIN on fails the test instead of hanging it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NettyRelayTest {
    private static final int MAX_READ = 256 * 1024;
    private static final int READ_TIMEOUT_MILLIS = 10_000;

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll"})
    void relaysEveryByteBothWaysAndPassesTheFinOn(String transport) throws Exception {
        assumeLoads(transport);
        try (EchoServer echo = EchoServer.start();
                NettyRelayMain.Relays relays = NettyRelayMain.Relays.start(transport, 2, MAX_READ,
                        List.of(echo.address()))) {
            for (int i = 0; i < 3; i++) {
                try (Socket s = connect(relays)) {
                    EchoServer.assertEchoes(s, Payloads.random(1 << 20, i));
                    s.shutdownOutput();
                    // The echo server answers our FIN with its own, through the relay.
                    assertThat(Payloads.readToEof(s.getInputStream(), 16)).isEmpty();
                }
            }
            assertThat(relays.total()).isEqualTo(3);
            awaitNoneActive(relays);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll"})
    void keepsHalfCloseAlsoWhenDataAndFinComeBeforeTheBackendIsConnected(String transport) throws Exception {
        assumeLoads(transport);
        // The half-close client writes its request and FIN at once: the epoll transport reads them
        // before the backend connection is up, even with auto-read off.
        try (HalfCloseServer server = new HalfCloseServer();
                NettyRelayMain.Relays relays = NettyRelayMain.Relays.start(transport, 2, MAX_READ,
                        List.of(server.address()))) {
            Workloads.HalfClose h = Workloads.halfClose(relays.addresses().get(0), server, 5, 5_000, 20_000);
            assertThat(h.firstFailure()).isNull();
            assertThat(h.kept()).isEqualTo(5);
            assertThat(server.shortRequests()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll"})
    void aBackendThatEndsFirstStillGetsEverythingTheClientSendsAfter(String transport) throws Exception {
        assumeLoads(transport);
        byte[] up = Payloads.random(1 << 20, 7);
        try (ServerSocket backend = loopbackServer();
                NettyRelayMain.Relays relays = NettyRelayMain.Relays.start(transport, 2, MAX_READ,
                        List.of((InetSocketAddress) backend.getLocalSocketAddress()))) {
            CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> {
                try (Socket b = backend.accept()) {
                    b.setSoTimeout(READ_TIMEOUT_MILLIS);
                    b.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                    b.shutdownOutput();
                    return Payloads.readToEof(b.getInputStream(), 2 << 20);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (Socket c = connect(relays)) {
                assertThat(new String(Payloads.readToEof(c.getInputStream(), 100), StandardCharsets.US_ASCII))
                        .isEqualTo("hello");
                c.getOutputStream().write(up);
                c.shutdownOutput();
                assertThat(got.get(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)).isEqualTo(up);
            }
            awaitNoneActive(relays);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll"})
    void aRefusedBackendEndsTheClient(String transport) throws Exception {
        assumeLoads(transport);
        InetSocketAddress nobody;
        try (ServerSocket s = loopbackServer()) {
            nobody = (InetSocketAddress) s.getLocalSocketAddress();
        }
        try (NettyRelayMain.Relays relays = NettyRelayMain.Relays.start(transport, 2, MAX_READ, List.of(nobody));
                Socket c = connect(relays)) {
            assertThat(c.getInputStream().read()).isEqualTo(-1);
            awaitNoneActive(relays);
            assertThat(relays.total()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll"})
    void aClientResetEndsTheBackendConnection(String transport) throws Exception {
        assumeLoads(transport);
        try (ServerSocket backend = loopbackServer();
                NettyRelayMain.Relays relays = NettyRelayMain.Relays.start(transport, 2, MAX_READ,
                        List.of((InetSocketAddress) backend.getLocalSocketAddress()))) {
            Socket c = connect(relays);
            try (Socket b = backend.accept()) {
                b.setSoTimeout(READ_TIMEOUT_MILLIS);
                c.getOutputStream().write(new byte[1000]);
                Payloads.readFully(b.getInputStream(), 1000);
                c.setSoLinger(true, 0);
                c.close();
                boolean ended;
                try {
                    ended = b.getInputStream().read() == -1; // a FIN
                } catch (SocketException e) {
                    ended = true; // a reset
                }
                assertThat(ended).isTrue();
            }
            awaitNoneActive(relays);
        }
    }

    @Test
    void rejectsAnUnknownTransportAndATinyReadSizeByName() {
        assertThatThrownBy(() -> NettyRelayMain.Relays.start("kqueue", 1, MAX_READ, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'kqueue'");
        assertThatThrownBy(() -> NettyRelayMain.Relays.start("nio", 1, 10, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--max-read 10");
    }

    private static void assumeLoads(String transport) {
        assumeTrue(transport.equals("nio") || Epoll.isAvailable(), "Netty's epoll transport does not load here");
    }

    private static ServerSocket loopbackServer() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server.setSoTimeout(READ_TIMEOUT_MILLIS);
        return server;
    }

    private static Socket connect(NettyRelayMain.Relays relays) throws IOException {
        InetSocketAddress a = relays.addresses().get(0);
        Socket s = new Socket(a.getAddress(), a.getPort());
        s.setSoTimeout(READ_TIMEOUT_MILLIS);
        return s;
    }

    private static void awaitNoneActive(NettyRelayMain.Relays relays) {
        Await.until("the relay's connections closed", Duration.ofSeconds(10), () -> relays.active() == 0);
    }
}
