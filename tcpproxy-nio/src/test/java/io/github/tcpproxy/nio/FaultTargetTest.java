package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.ConnectionInfo;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.fault.FlowDirection;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which connections a fault applies to: scope, first N, every Nth, predicate, probability and seed. */
@Timeout(60)
class FaultTargetTest {
    private static final int CONNECTIONS = 12;

    /**
     * Opens {@link #CONNECTIONS} clients one after the other (each served or reset before the next
     * opens, so ids follow the order) with an accept-then-reset fault aimed by {@code target}, and
     * returns the 1-based numbers of those that were reset.
     */
    private static List<Integer> resetOnes(FaultTarget target) throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                FaultHandle fault = proxy.addFault(Faults.acceptThenReset(), target)) {
            return openAndSeeWhichReset(proxy);
        }
    }

    private static List<Integer> openAndSeeWhichReset(RunningProxy proxy) throws IOException {
        List<Integer> reset = new ArrayList<>();
        for (int i = 1; i <= CONNECTIONS; i++) {
            // A reset can come so soon that it fails the connect already.
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, new byte[] {(byte) i});
            } catch (SocketException e) {
                reset.add(i);
            }
        }
        return reset;
    }

    @Test
    void firstN() throws Exception {
        assertThat(resetOnes(FaultTarget.all().first(3))).containsExactly(1, 2, 3);
    }

    @Test
    void everyNth() throws Exception {
        assertThat(resetOnes(FaultTarget.all().everyNth(4))).containsExactly(4, 8, 12);
    }

    @Test
    void predicateOnTheConnection() throws Exception {
        assertThat(resetOnes(FaultTarget.all().where(c -> c.id() % 5 == 0))).containsExactly(5, 10);
    }

    @Test
    void newConnectionsCountFromWhenTheFaultWasAdded() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start()) {
            try (Socket early = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(early, new byte[] {1});
                try (FaultHandle fault = proxy.addFault(Faults.acceptThenReset(),
                        FaultTarget.all().newConnections().first(2))) {
                    EchoServer.assertEchoes(early, new byte[] {2}); // existing: not touched
                    List<Integer> reset = openAndSeeWhichReset(proxy);
                    assertThat(reset).containsExactly(1, 2);
                }
            }
        }
    }

    @Test
    void existingConnectionsOnly() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                Socket early = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(early, new byte[] {1});
            try (FaultHandle fault = proxy.addFault(Faults.acceptThenReset(), FaultTarget.all().existingConnections())) {
                assertThat(Sockets.readOutcome(early)).isInstanceOf(SocketException.class);
                assertThat(openAndSeeWhichReset(proxy)).isEmpty();
            }
        }
    }

    @Test
    void theSameSeedPicksTheSameConnectionsTwice() throws Exception {
        FaultTarget half = FaultTarget.all().probability(0.5).seed(42);
        List<Integer> first = resetOnes(half);
        List<Integer> second = resetOnes(half);
        assertThat(second).isEqualTo(first);
        assertThat(first).as("some, not all").isNotEmpty().hasSizeLessThan(CONNECTIONS);
        assertThat(resetOnes(FaultTarget.all().probability(0))).isEmpty();
    }

    @Test
    void theSeedPickedForAFaultIsReportedSoARunCanBeRepeated() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start()) {
            long seed;
            List<Integer> first;
            try (FaultHandle fault = proxy.addFault(Faults.acceptThenReset(), FaultTarget.all().probability(0.5))) {
                seed = fault.seed();
                assertThat(proxy.faults()).containsExactly(fault);
            }
            first = resetOnes(FaultTarget.all().probability(0.5).seed(seed));
            assertThat(resetOnes(FaultTarget.all().probability(0.5).seed(seed))).isEqualTo(first);
        }
    }

    @Test
    void connectionsListsOpenConnectionsAndClosesOrResetsThem() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                Socket a = Sockets.connect(proxy.localAddress());
                Socket b = Sockets.connect(proxy.localAddress());
                Socket c = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(a, new byte[10]);
            EchoServer.assertEchoes(b, new byte[20]);
            EchoServer.assertEchoes(c, new byte[30]);
            proxy.awaitOpenConnections(3, Duration.ofSeconds(10));

            List<ConnectionInfo> open = proxy.connections();
            assertThat(open).hasSize(3);
            assertThat(open).extracting(ConnectionInfo::id).isSorted();
            ConnectionInfo infoA = find(open, a);
            ConnectionInfo infoB = find(open, b);
            assertThat(infoA.backend()).isEqualTo(echo.address());
            assertThat(infoA.bytesClientToBackend()).isEqualTo(10);
            assertThat(infoA.bytesBackendToClient()).isEqualTo(10);
            assertThat(infoA.state()).isEqualTo(io.github.tcpproxy.ConnectionState.OPEN);

            infoA.close();
            assertThat(a.getInputStream().read()).as("orderly end for a").isEqualTo(-1);
            infoB.reset();
            assertThat(Sockets.readOutcome(b)).as("reset for b").isInstanceOf(SocketException.class);
            proxy.awaitOpenConnections(1, Duration.ofSeconds(10));
            assertThat(proxy.connections()).extracting(ConnectionInfo::clientAddress)
                    .containsExactly((java.net.InetSocketAddress) c.getLocalSocketAddress());
            EchoServer.assertEchoes(c, new byte[5]);
            proxy.awaitBytes(io.github.tcpproxy.fault.FlowDirection.BOTH, 2 * (10 + 20 + 30 + 5), Duration.ofSeconds(10));
        }
    }

    private static ConnectionInfo find(List<ConnectionInfo> open, Socket client) {
        return open.stream().filter(i -> i.clientAddress().equals(client.getLocalSocketAddress())).findFirst()
                .orElseThrow(() -> new AssertionError("no connection from " + client.getLocalSocketAddress()
                        + " in " + open));
    }

    @Test
    void aPredicateThatThrowsLeavesTheConnectionServedWithoutTheFault() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                FaultHandle fault = proxy.addFault(Faults.acceptThenReset(), FaultTarget.all().where(c -> {
                    throw new IllegalStateException("a bug in the test's predicate");
                }))) {
            assertThat(openAndSeeWhichReset(proxy)).isEmpty();
        }
    }

    @Test
    void awaitOpenConnectionsTimesOutWithWhatItSaw() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> proxy.awaitOpenConnections(1, Duration.ofMillis(50)))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class)
                    .hasMessageContaining("1 open connection(s); open now: 0");
        }
    }

    /**
     * FaultTarget.backend: "the fault acts on a connection once that backend is chosen for it ...
     * so other backends are not touched". FaultRegistry.Registration.selects lets a fault onto a
     * new connection whose backend is not chosen yet (backendAddress() is null at accept), and
     * FaultChain.attach starts it at once; a fault that ends connections from a timer
     * (resetAfter, closeAfter, timeout) or from start() (acceptThenReset) then ends connections
     * that went to another backend: FaultChain.requestEnd never asks Entry.matches.
     */
    @Test
    void aTimedFaultAimedAtOneBackendLeavesConnectionsToAnotherAlone() throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n");
                RunningProxy proxy = Loopback.proxyTo(a, b).strategy("round-robin").start()) {
            proxy.addFault(Faults.resetAfter(Duration.ofMillis(200)), FaultTarget.all().backend(b.address()));
            try (Socket first = Sockets.connect(proxy.localAddress());
                    Socket second = Sockets.connect(proxy.localAddress())) {
                String firstBackend = Greetings.read(first);
                String secondBackend = Greetings.read(second);
                Socket onA = firstBackend.equals("a") ? first : second;
                Socket onB = firstBackend.equals("a") ? second : first;
                assertThat(firstBackend + secondBackend).as("one client on each backend").isIn("ab", "ba");

                // The one on b is reset by the fault; both faults were started at accept, so by
                // then the timer started for the client on a (if any) has fired too.
                assertThat(Sockets.readOutcome(onB)).as("client on b, 200 ms after the fault started")
                        .isInstanceOf(SocketException.class);
                assertThatCode(() -> EchoServer.assertEchoes(onA, new byte[] {1, 2, 3}))
                        .as("client on a, with a fault aimed at b only").doesNotThrowAnyException();
            }
        }
    }

    /**
     * A timed fault aimed at a backend that refuses: the connection moves on to another backend
     * and the fault stops with the move, so its timer ends nothing. The latency on the other
     * backend makes each round trip outlast the fault's timer.
     */
    @Test
    void aFaultAimedAtABackendStopsWhenAFailedConnectMovesTheConnectionOn() throws Exception {
        InetSocketAddress down = new InetSocketAddress(Sockets.loopback(), Sockets.closedPort());
        try (EchoServer up = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo()
                        .backend(Backend.of(down))
                        .backend(up.backend())
                        .strategy("round-robin")
                        .connectAttempts(2)
                        .start()) {
            proxy.addFault(Faults.resetAfter(Duration.ofMillis(50)), FaultTarget.all().backend(down));
            proxy.addFault(Faults.latency(Duration.ofMillis(300)),
                    FaultTarget.all().backend(up.address()).direction(FlowDirection.CLIENT_TO_BACKEND));
            // Round robin sends at least one of two clients to the refusing backend first.
            try (Socket first = Sockets.connect(proxy.localAddress());
                    Socket second = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(first, new byte[] {1, 2, 3});
                EchoServer.assertEchoes(second, new byte[] {4, 5, 6});
            }
            assertThat(proxy.stats().connectFailures()).as("connects refused by the down backend").isPositive();
        }
    }
}
