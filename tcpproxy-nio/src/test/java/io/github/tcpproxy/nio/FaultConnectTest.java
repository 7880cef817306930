package io.github.tcpproxy.nio;

import static io.github.tcpproxy.nio.FaultShapingTest.millisSince;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.fault.FlowDirection;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Faults of the connect phase, per backend, and disabling the whole proxy. */
@Timeout(60)
class FaultConnectTest {

    @Test
    void refuseConnectionsStopsListeningAndListensAgainOnTheSamePort() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                Socket before = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(before, new byte[] {1});
            try (FaultHandle refuse = proxy.addFault(Faults.refuseConnections())) {
                assertThat(Sockets.isRefused(proxy.localAddress())).as("refused while the fault is in force").isTrue();
                EchoServer.assertEchoes(before, new byte[] {2}); // open connections are not touched
            }
            try (Socket after = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(after, new byte[] {3});
            }
        }
    }

    @Test
    void acceptThenResetResetsNewClientsBeforeAnyBackendIsContacted() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                FaultHandle reset = proxy.addFault(Faults.acceptThenReset(), FaultTarget.all().newConnections())) {
            // The reset can come so soon that it fails the connect already.
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                assertThat(Sockets.readOutcome(client)).isInstanceOf(SocketException.class);
            } catch (SocketException resetWhileConnecting) {
                assertThat(resetWhileConnecting).hasMessageContaining("reset");
            }
            proxy.awaitOpenConnections(0, Duration.ofSeconds(10));
            assertThat(echo.connections()).as("connections the backend saw").isZero();
        }
    }

    @Test
    void delayFirstByteHoldsTheGreeting() throws Exception {
        String greeting = "220 ready\r\n";
        try (EchoServer echo = EchoServer.start(greeting);
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                FaultHandle delay = proxy.addFault(Faults.delayFirstByte(Duration.ofMillis(300)),
                        FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT))) {
            long start = System.nanoTime();
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                byte[] got = Payloads.readFully(client.getInputStream(), greeting.length());
                assertThat(millisSince(start)).isGreaterThanOrEqualTo(300);
                assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo(greeting);
            }
        }
    }

    @Test
    void backendDownSendsEveryoneToTheOtherBackendAndResetsItsConnections() throws Exception {
        try (EchoServer a = EchoServer.start("a");
                EchoServer b = EchoServer.start("b");
                RunningProxy proxy = Loopback.proxyTo(a, b).strategy("round-robin").start();
                Socket first = Sockets.connect(proxy.localAddress());
                Socket second = Sockets.connect(proxy.localAddress())) {
            String firstName = new String(Payloads.readFully(first.getInputStream(), 1), StandardCharsets.US_ASCII);
            String secondName = new String(Payloads.readFully(second.getInputStream(), 1), StandardCharsets.US_ASCII);
            assertThat(firstName + secondName).isIn("ab", "ba");
            Socket onA = firstName.equals("a") ? first : second;
            Socket onB = firstName.equals("a") ? second : first;

            try (FaultHandle down = proxy.addFault(Faults.backendDown(), FaultTarget.all().backend(a.address()))) {
                assertThat(Sockets.readOutcome(onA)).as("the connection to a").isInstanceOf(SocketException.class);
                EchoServer.assertEchoes(onB, new byte[] {7});
                for (int i = 0; i < 4; i++) {
                    try (Socket client = Sockets.connect(proxy.localAddress())) {
                        assertThat(Payloads.readFully(client.getInputStream(), 1)).as("connection %d", i)
                                .isEqualTo("b".getBytes(StandardCharsets.US_ASCII));
                    }
                }
            }
            assertThat(a.connections()).isEqualTo(1);
        }
    }

    @Test
    void latencyForOneBackendOnly() throws Exception {
        try (EchoServer slow = EchoServer.start("s");
                EchoServer fast = EchoServer.start("f");
                RunningProxy proxy = Loopback.proxyTo(slow, fast).strategy("round-robin").start();
                FaultHandle latency = proxy.addFault(Faults.latency(Duration.ofMillis(300)),
                        FaultTarget.all().backend(slow.address()).direction(FlowDirection.CLIENT_TO_BACKEND))) {
            for (int i = 0; i < 2; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    byte[] name = Payloads.readFully(client.getInputStream(), 1);
                    long start = System.nanoTime();
                    EchoServer.assertEchoes(client, new byte[] {9});
                    if (name[0] == 's') {
                        assertThat(millisSince(start)).as("round trip through the slow backend")
                                .isGreaterThanOrEqualTo(300);
                    }
                }
            }
            assertThat(slow.connections()).isEqualTo(1);
            assertThat(fast.connections()).isEqualTo(1);
        }
    }

    @Test
    void disableResetsAndRefusesAndEnableListensAgain() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(client, new byte[] {1});
            assertThat(proxy.isEnabled()).isTrue();

            proxy.disable();
            assertThat(proxy.isEnabled()).isFalse();
            assertThat(Sockets.readOutcome(client)).as("open connection is cut").isInstanceOf(SocketException.class);
            assertThat(Sockets.isRefused(proxy.localAddress())).as("new clients are refused").isTrue();
            assertThat(proxy.faults()).as("disable is not a fault of its own").isEmpty();

            proxy.enable();
            assertThat(proxy.isEnabled()).isTrue();
            try (Socket again = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(again, new byte[] {2});
            }
        }
    }

    @Test
    void addingAFaultOnAReactorThreadFailsFast() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start()) {
            java.util.concurrent.CompletableFuture<Throwable> thrown = new java.util.concurrent.CompletableFuture<>();
            FaultHandle outer = proxy.addFault(connection -> {
                try {
                    proxy.addFault(Faults.freeze());
                    thrown.complete(null);
                } catch (Throwable t) {
                    thrown.complete(t);
                }
                return null;
            });
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                Throwable t = thrown.get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(t).isInstanceOf(IllegalStateException.class).hasMessageContaining("own threads");
            }
            outer.close();
            outer.close(); // twice is harmless
            assertThat(outer.isActive()).isFalse();
            assertThat(proxy.faults()).isEmpty();
        }
        assertThatThrownBy(() -> Faults.latency(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("latency");
    }
}
