package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connection limits and access lists: a refused client is closed at once, counted under its
 * reason, never reaches a backend, and other clients are served as before.
 */
@Timeout(60)
class LimitsTest {
    private static final Duration WITHIN = Duration.ofSeconds(5);

    @Test
    void refusesClientsOverMaxConnectionsAndServesAgainWhenOneEnds() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).maxConnections(2).start();
                Socket a = Sockets.connect(proxy.localAddress());
                Socket b = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(a, Payloads.random(100, 1));
            EchoServer.assertEchoes(b, Payloads.random(100, 2));
            try (Socket c = Sockets.connect(proxy.localAddress())) {
                assertClosedByProxy(c, "third client over max connections 2");
            }
            Await.until("the refusal is counted", WITHIN, () -> proxy.stats().refusedMaxConnections() == 1);
            assertThat(echo.connections()).as("backend connections").isEqualTo(2);

            a.close();
            Await.until("the first client's connection ended", WITHIN, () -> proxy.stats().activeConnections() == 1);
            try (Socket d = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(d, Payloads.random(100, 3));
            }
            ProxyStats stats = proxy.stats();
            assertThat(stats.totalConnections()).as("served, refused one not counted").isEqualTo(3);
            assertThat(stats.refused()).isEqualTo(1);
            echo.assertNoFailures();
        }
    }

    @Test
    void limitsConnectionsPerClientAddressOnly() throws Exception {
        InetAddress other = InetAddress.getByAddress(new byte[] {127, 0, 0, 2});
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).maxConnectionsPerClient(1).start();
                Socket a = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(a, Payloads.random(100, 1));
            try (Socket b = Sockets.connect(proxy.localAddress())) {
                assertClosedByProxy(b, "second client from 127.0.0.1");
            }
            try (Socket fromOther = connectFrom(other, proxy.localAddress())) {
                EchoServer.assertEchoes(fromOther, Payloads.random(100, 2));
            }
            Await.until("the refusal is counted", WITHIN, () -> proxy.stats().refusedMaxConnectionsPerClient() == 1);

            a.close();
            Await.until("the first connection ended", WITHIN, () -> proxy.stats().activeConnections() == 0);
            try (Socket c = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(c, Payloads.random(100, 3));
            }
            NioProxy nio = (NioProxy) proxy;
            Await.until("no per-address state left", WITHIN, () -> {
                return nio.stats().activeConnections() == 0 && nio.admission.trackedAddresses() == 0;
            });
        }
    }

    @Test
    void limitsTheRateOfNewConnectionsPerClientAddress() throws Exception {
        // 2 per second allows a burst of 2; a third at once is refused. Connecting 3 times takes
        // far less than the half second that would refill a token, even on a slow machine.
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).maxConnectionRatePerClient(2).start()) {
            int served = 0;
            int refused = 0;
            for (int i = 0; i < 3; i++) {
                try (Socket s = Sockets.connect(proxy.localAddress())) {
                    s.getOutputStream().write(1);
                    Object outcome = Sockets.readOutcome(s);
                    if (Integer.valueOf(1).equals(outcome)) {
                        served++;
                    } else {
                        refused++;
                    }
                }
            }
            assertThat(served).as("served of 3 connects in a burst").isGreaterThanOrEqualTo(2);
            ProxyStats stats = Await.until("3 connections done", WITHIN, proxy::stats,
                    s -> s.activeConnections() == 0 && s.totalConnections() + s.refused() == 3);
            assertThat(stats.refusedRateLimited()).isEqualTo(refused);
            // The bucket refills: one more is served, once a token is back.
            Await.success("served again after the bucket refilled", WITHIN, () -> {
                try (Socket s = Sockets.connect(proxy.localAddress())) {
                    EchoServer.assertEchoes(s, new byte[] {7});
                }
                return null;
            });
        }
    }

    @Test
    void deniedClientsAreClosedBeforeAnyBackendIsContacted() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).deny("127.0.0.1/32", "::1").start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            assertClosedByProxy(client, "denied client");
            ProxyStats stats = Await.until("the refusal is counted", WITHIN, proxy::stats,
                    s -> s.refusedDenied() == 1);
            assertThat(stats.totalConnections()).isZero();
            assertThat(echo.connections()).as("backend connections").isZero();
        }
    }

    @Test
    void onlyAllowedClientsAreServedAndDenyWins() throws Exception {
        InetAddress other = InetAddress.getByAddress(new byte[] {127, 0, 0, 2});
        InetAddress third = InetAddress.getByAddress(new byte[] {127, 0, 0, 3});
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo)
                        .listen(new InetSocketAddress("0.0.0.0", 0))
                        .allow("127.0.0.2/31", "2001:db8::/32")
                        .deny("127.0.0.3")
                        .start()) {
            InetSocketAddress at = new InetSocketAddress(Sockets.loopback(), proxy.localAddress().getPort());
            try (Socket allowed = connectFrom(other, at)) {
                EchoServer.assertEchoes(allowed, Payloads.random(1000, 1));
            }
            try (Socket notAllowed = Sockets.connect(at)) {
                assertClosedByProxy(notAllowed, "client 127.0.0.1, not in the allow list");
            }
            try (Socket denied = connectFrom(third, at)) {
                assertClosedByProxy(denied, "client 127.0.0.3, allowed and denied");
            }
            ProxyStats stats = Await.until("every connection done", WITHIN, proxy::stats,
                    s -> s.activeConnections() == 0 && s.refusedDenied() == 2);
            assertThat(stats.totalConnections()).isEqualTo(1);
            assertThat(echo.connections()).isEqualTo(1);
        }
    }

    /** The proxy ended the connection: end of stream or a reset, not a read timeout. */
    static void assertClosedByProxy(Socket socket, String what) throws IOException {
        socket.setSoTimeout(10_000);
        Object outcome = Sockets.readOutcome(socket);
        assertThat(outcome).as("read by " + what)
                .isNotInstanceOf(SocketTimeoutException.class)
                .satisfiesAnyOf(
                        o -> assertThat(o).isEqualTo(-1),
                        o -> assertThat(o).isInstanceOf(SocketException.class));
    }

    static Socket connectFrom(InetAddress local, InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        try {
            s.bind(new InetSocketAddress(local, 0));
            s.connect(to, 5_000);
            s.setSoTimeout(10_000);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    @Test
    void limitsChangeAtRunTimeForNewClientsOnly() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                Socket a = Sockets.connect(proxy.localAddress());
                Socket b = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(a, new byte[] {1});
            EchoServer.assertEchoes(b, new byte[] {2});

            proxy.setConnectionLimits(1, 0, 0);
            try (Socket c = Sockets.connect(proxy.localAddress())) {
                assertClosedByProxy(c, "a client over the lowered limit");
            }
            EchoServer.assertEchoes(a, new byte[] {3}); // open ones are not cut
            assertThatThrownBy(() -> proxy.setConnectionLimits(0, -1, 0))
                    .hasMessage("max connections per client -1 must be 0 (no limit) or more");

            proxy.setConnectionLimits(0, 0, 0);
            try (Socket d = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(d, new byte[] {4});
            }
            Await.until("the refusal is counted", WITHIN, () -> proxy.stats().refusedMaxConnections() == 1);
        }
    }

    /**
     * Every connection is counted per client address, limit or not: one opened while the
     * per-client limit was off counts against a limit turned on later, as the Javadoc says.
     */
    @Test
    void connectionsOpenWhenAPerClientLimitIsTurnedOnCountAgainstIt() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start()) {
            try (Socket before = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(before, new byte[] {1});

                proxy.setConnectionLimits(0, 1, 0);
                try (Socket over = Sockets.connect(proxy.localAddress())) {
                    assertClosedByProxy(over, "a second client from the address, over the new per-client limit 1");
                }
                EchoServer.assertEchoes(before, new byte[] {2}); // the open one is not cut
                Await.until("the refusal is counted", WITHIN,
                        () -> proxy.stats().refusedMaxConnectionsPerClient() == 1);
            }
            Await.until("the first one ended", WITHIN, () -> proxy.stats().activeConnections() == 0);
            try (Socket under = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(under, new byte[] {3});
            }
        }
    }

    @Test
    @Timeout(15)
    void raisingTheRateLimitAtRunTimeGivesAClientTheNewBurstAtOnce() throws Exception {
        // A helper's test: what a client owed at 1/s was kept as a deadline 1 s ahead, more than
        // the 900 ms a burst of 10/s allows, so the raise refused it for a while instead.
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).maxConnectionRatePerClient(1).start()) {
            try (Socket a = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(a, new byte[] {1});
            }
            // 1 connection in the last second; 10/s with bursts of 10 allows 9 more now.
            proxy.setConnectionLimits(0, 0, 10);
            int served = 0;
            for (int i = 0; i < 9; i++) {
                try (Socket b = Sockets.connect(proxy.localAddress())) {
                    b.getOutputStream().write(2);
                    if (Integer.valueOf(2).equals(Sockets.readOutcome(b))) {
                        served++;
                    }
                }
            }
            assertThat(served).as("served of 9 right after raising 1/s to 10/s (%s)", proxy.stats().withoutBackends())
                    .isEqualTo(9);
        }
    }
}
