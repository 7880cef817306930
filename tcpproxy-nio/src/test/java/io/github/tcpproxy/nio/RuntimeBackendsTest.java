package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Backends added, removed, re-weighted and drained on a running proxy, what
 * {@link RunningProxy#backends()} reports about them, and per-backend connection limits.
 */
@Timeout(60)
class RuntimeBackendsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aBackendAddedAtRunTimeGetsNewConnections() throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n");
                RunningProxy proxy = Loopback.proxyTo(a).strategy("round-robin").start()) {
            assertThat(Greetings.split(proxy, 2)).isEqualTo(Map.of("a", 2));

            proxy.addBackend(b.backend().withWeight(2));

            assertThat(proxy.backends()).extracting(BackendStatus::backend)
                    .containsExactly(a.backend(), b.backend().withWeight(2));
            assertThat(Greetings.split(proxy, 10)).isEqualTo(Map.of("a", 5, "b", 5));
            a.assertNoFailures();
            b.assertNoFailures();
        }
    }

    @Test
    void aRemovedBackendsOpenConnectionWorksToItsEndWhileNewOnesGoElsewhere() throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n");
                RunningProxy proxy = Loopback.proxyTo(a, b).strategy("round-robin").start();
                Socket onA = Greetings.connectTo(proxy, "a", 4)) {
            int aConnections = a.connections();

            assertThat(proxy.removeBackend(a.address())).isTrue();

            assertThat(proxy.backends()).extracting(BackendStatus::address).containsExactly(b.address());
            assertThat(Greetings.split(proxy, 5)).isEqualTo(Map.of("b", 5));
            assertThat(a.connections()).isEqualTo(aConnections);
            // Both ways, after the removal, then a clean end.
            EchoServer.assertEchoes(onA, Payloads.random(200_000, 7));
            onA.shutdownOutput();
            assertThat(onA.getInputStream().read()).isEqualTo(-1);
            Await.until("every connection over", WAIT, () -> proxy.stats().activeConnections() == 0);
            assertThat(proxy.removeBackend(a.address())).as("a second removal").isFalse();
            a.assertNoFailures();
            b.assertNoFailures();
        }
    }

    @Test
    void drainingOrWeightZeroTakesNoNewConnectionsAndLetsTheOpenOneFinish() throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n");
                RunningProxy proxy = Loopback.proxyTo(a, b).strategy("round-robin").start()) {
            try (Socket onA = Greetings.connectTo(proxy, "a", 4)) {
                proxy.drain(a.address());

                BackendStatus drained = proxy.backends().get(0);
                assertThat(drained.weight()).isZero();
                assertThat(drained.effectiveWeight()).isZero();
                assertThat(drained.activeConnections()).isEqualTo(1);
                assertThat(Greetings.split(proxy, 6)).isEqualTo(Map.of("b", 6));
                EchoServer.assertEchoes(onA, Payloads.random(50_000, 3));
                onA.shutdownOutput();
                assertThat(onA.getInputStream().read()).isEqualTo(-1);
            }
            Await.until("the drained backend's connection over", WAIT,
                    () -> proxy.backends().get(0).activeConnections() + proxy.backends().get(0).inactiveConnections() == 0);

            proxy.setWeight(a.address(), 3);
            assertThat(proxy.backends().get(0).weight()).isEqualTo(3);
            assertThat(Greetings.split(proxy, 4)).isEqualTo(Map.of("a", 2, "b", 2));

            proxy.setWeight(b.address(), 0);
            assertThat(Greetings.split(proxy, 3)).isEqualTo(Map.of("a", 3));
            a.assertNoFailures();
            b.assertNoFailures();
        }
    }

    @Test
    void updateBackendReplacesWeightAndLimitAndKeepsTheCounters() throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                RunningProxy proxy = Loopback.proxyTo(a).start()) {
            Greetings.split(proxy, 3);

            proxy.updateBackend(a.backend().withWeight(5).withMaxConnections(9));

            BackendStatus status = proxy.backends().get(0);
            assertThat(status.backend()).isEqualTo(a.backend().withWeight(5).withMaxConnections(9));
            assertThat(status.totalConnections()).isEqualTo(3);
        }
    }

    @Test
    void runtimeCallsCheckTheirArguments() throws Exception {
        try (EchoServer a = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(a).start()) {
            InetSocketAddress nowhere = new InetSocketAddress(Sockets.loopback(), Sockets.closedPort());

            assertThatThrownBy(() -> proxy.addBackend(a.backend().withWeight(4)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(a.backend().name());
            assertThatThrownBy(() -> proxy.addBackend(null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> proxy.removeBackend(null)).isInstanceOf(IllegalArgumentException.class);
            assertThat(proxy.removeBackend(nowhere)).isFalse();
            assertThatThrownBy(() -> proxy.updateBackend(Backend.of(nowhere)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(String.valueOf(nowhere.getPort()));
            assertThatThrownBy(() -> proxy.setWeight(nowhere, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> proxy.setWeight(a.address(), -1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
            assertThatThrownBy(() -> proxy.drain(nowhere)).isInstanceOf(IllegalArgumentException.class);
            assertThat(proxy.backends()).extracting(BackendStatus::backend).containsExactly(a.backend());

            proxy.close();
            assertThatThrownBy(() -> proxy.addBackend(Backend.of(nowhere)))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    /**
     * The counters of {@link BackendStatus}: a backend that reads a 4-byte length and that many
     * bytes, answers 3 times as many, then waits for the client's end and, before ending its own,
     * for the test's go, so the test sees the connection active, then half-closed (inactive).
     */
    @Test
    void backendsReportsConnectionsBytesAndFailures() throws Exception {
        CountDownLatch endBackend = new CountDownLatch(1);
        CountDownLatch clientEnded = new CountDownLatch(2);
        int dead = Sockets.closedPort();
        try (ScriptedServer live = ScriptedServer.start(socket -> {
                    DataInputStream in = new DataInputStream(socket.getInputStream());
                    int n = in.readInt();
                    Payloads.readFully(in, n);
                    Payloads.write(socket.getOutputStream(), n, 3L * n);
                    Payloads.readToEof(in, 0);
                    clientEnded.countDown();
                    if (!endBackend.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                        throw new AssertionError("the test never let the backend end");
                    }
                });
                RunningProxy proxy = Loopback.proxyTo(live)
                        .backend(Backend.of(new InetSocketAddress(Sockets.loopback(), dead)))
                        .strategy("round-robin")
                        .start()) {
            BackendStatus fresh = proxy.backends().get(0);
            assertThat(fresh.up()).isTrue();
            assertThat(fresh.effectiveWeight()).isEqualTo(1);
            assertThat(new long[] {fresh.activeConnections(), fresh.inactiveConnections(), fresh.totalConnections(),
                fresh.bytesClientToBackend(), fresh.bytesBackendToClient(), fresh.connectFailures()})
                    .containsOnly(0);

            try (Socket client = Sockets.connect(proxy.localAddress())) {
                int n = 10_000;
                send(client, n);
                Payloads.readFully(client.getInputStream(), 3 * n);

                BackendStatus open = Await.until("the transfer counted", WAIT, () -> proxy.backends().get(0),
                        s -> s.bytesBackendToClient() == 3L * n);
                assertThat(open.activeConnections()).as("active: both legs open").isEqualTo(1);
                assertThat(open.inactiveConnections()).isZero();
                assertThat(open.totalConnections()).isEqualTo(1);
                assertThat(open.bytesClientToBackend()).isEqualTo(4 + n);
                assertThat(open.connectFailures()).isZero();

                client.shutdownOutput();
                BackendStatus halfClosed = Await.until("the half-closed connection counted inactive", WAIT,
                        () -> proxy.backends().get(0), s -> s.inactiveConnections() == 1);
                assertThat(halfClosed.activeConnections()).isZero();

                endBackend.countDown();
                assertThat(client.getInputStream().read()).isEqualTo(-1);
            }
            BackendStatus done = Await.until("the connection over", WAIT, () -> proxy.backends().get(0),
                    s -> s.activeConnections() + s.inactiveConnections() == 0);
            assertThat(done.totalConnections()).isEqualTo(1);

            // Round robin sends the next client to the dead backend first, then to the live one.
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                send(client, 100);
                Payloads.readFully(client.getInputStream(), 300);
                client.shutdownOutput();
                assertThat(client.getInputStream().read()).isEqualTo(-1);
            }
            BackendStatus deadStatus = proxy.backends().get(1);
            assertThat(deadStatus.connectFailures()).isEqualTo(1);
            assertThat(deadStatus.totalConnections()).as("failed attempts included").isEqualTo(1);
            assertThat(deadStatus.activeConnections() + deadStatus.inactiveConnections()).isZero();
            assertThat(deadStatus.bytesClientToBackend() + deadStatus.bytesBackendToClient()).isZero();
            assertThat(deadStatus.up()).as("no health checks: always up").isTrue();
            BackendStatus liveStatus = Await.until("both connections over", WAIT, () -> proxy.backends().get(0),
                    s -> s.activeConnections() + s.inactiveConnections() == 0);
            assertThat(liveStatus.totalConnections()).isEqualTo(2);
            assertThat(liveStatus.bytesClientToBackend()).isEqualTo(4 + 10_000 + 4 + 100);
            assertThat(liveStatus.bytesBackendToClient()).isEqualTo(30_000 + 300);
            assertThat(liveStatus.connectFailures()).isZero();
            live.assertNoFailures();
        }
    }

    @Test
    void aFullBackendIsSkippedAndWithAllFullTheClientIsClosedPromptly() throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n");
                // weighted-failover: always the heaviest available backend, so only limits move clients.
                RunningProxy proxy = Loopback.proxyTo()
                        .backend(a.backend().withWeight(2).withMaxConnections(2))
                        .backend(b.backend().withWeight(1).withMaxConnections(1))
                        .strategy("weighted-failover")
                        .connectTimeout(Duration.ofSeconds(30))
                        .start()) {
            // One after the other: a greeting means the previous client's backend was chosen.
            Socket first = Greetings.connectTo(proxy, "a", 1);
            Socket second = Greetings.connectTo(proxy, "a", 1);
            Socket third = Greetings.connectTo(proxy, "b", 1);
            assertThat(proxy.backends()).extracting(BackendStatus::activeConnections).containsExactly(2, 1);

            long closedBefore = proxy.stats().noBackendClosures();
            try (Socket fourth = Sockets.connect(proxy.localAddress(), Duration.ofSeconds(5))) {
                // Closed at once (no backend to try), far within the read timeout and the connect timeout.
                assertThat(Sockets.readOutcome(fourth)).as("every backend full").isEqualTo(-1);
            }
            assertThat(proxy.stats().noBackendClosures()).isEqualTo(closedBefore + 1);
            assertThat(proxy.backends()).extracting(BackendStatus::connectFailures).containsOnly(0L);

            first.close();
            Await.until("a has room again", WAIT, () -> proxy.backends().get(0).activeConnections()
                    + proxy.backends().get(0).inactiveConnections() < 2);
            try (Socket fifth = Sockets.connect(proxy.localAddress())) {
                assertThat(Greetings.read(fifth)).isEqualTo("a");
            }
            second.close();
            third.close();
        }
    }

    private static void send(Socket client, int n) throws java.io.IOException {
        client.getOutputStream().write(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        client.getOutputStream().write(Payloads.random(n, n));
        client.getOutputStream().flush();
    }

    /**
     * Backend.of resolves an unresolved address, so the backends hold resolved ones; looking one
     * up by the same unresolved address found nothing ("no backend 127.0.0.1:N; backends:
     * [127.0.0.1:N]") and removeBackend returned false.
     */
    @Test
    void backendsCanBeChangedByAnUnresolvedAddressAsTheyCanBeAdded() throws Exception {
        try (EchoServer a = EchoServer.start();
                EchoServer b = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(a).start()) {
            InetSocketAddress unresolved = InetSocketAddress.createUnresolved("127.0.0.1", b.port());
            proxy.addBackend(Backend.of(unresolved));
            proxy.setWeight(unresolved, 5);
            assertThat(proxy.backends().get(1).backend().weight()).isEqualTo(5);
            proxy.drain(unresolved);
            assertThat(proxy.backends().get(1).backend().weight()).isZero();
            assertThat(proxy.removeBackend(unresolved)).isTrue();
            assertThat(proxy.backends()).hasSize(1);
        }
    }
}
