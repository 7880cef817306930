package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.ConnectionInfo;
import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.ConnectionState;
import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.ConnectionSummary.End;
import io.github.tcpproxy.ConnectionSummary.Side;
import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RefusalReason;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Listener events, stats counters and connection snapshots agree with what really happened. */
@Timeout(120)
class ObservabilityAdversarialTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);

    /** Records every event with the thread it came on, per connection id. */
    static final class Journal implements ConnectionListener {
        final Map<Long, List<String>> byId = new ConcurrentHashMap<>();
        final Map<Long, List<String>> threads = new ConcurrentHashMap<>();
        final List<String> refused = new CopyOnWriteArrayList<>();
        final List<String> refusedThreads = new CopyOnWriteArrayList<>();
        final BlockingQueue<ConnectionSummary> closed = new LinkedBlockingQueue<>();
        final List<ConnectionSummary> allClosed = new CopyOnWriteArrayList<>();

        private void add(long id, String event) {
            byId.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>())).add(event);
            threads.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>()))
                    .add(Thread.currentThread().getName());
        }

        @Override
        public void accepted(long id, InetSocketAddress client) {
            add(id, "accepted " + client.getAddress().getHostAddress());
        }

        @Override
        public void refused(InetSocketAddress client, RefusalReason reason) {
            refusedThreads.add(Thread.currentThread().getName());
            refused.add(reason + " " + client.getAddress().getHostAddress());
        }

        @Override
        public void backendChosen(long id, InetSocketAddress backend, int attempt) {
            add(id, "chosen :" + backend.getPort() + " #" + attempt);
        }

        @Override
        public void connectFailed(long id, InetSocketAddress backend, String reason) {
            add(id, "failed :" + backend.getPort());
        }

        @Override
        public void closed(ConnectionSummary summary) {
            add(summary.id(), "closed " + summary.end());
            allClosed.add(summary);
            closed.add(summary);
        }

        ConnectionSummary nextClosed() throws InterruptedException {
            ConnectionSummary s = closed.poll(10, TimeUnit.SECONDS);
            assertThat(s).as("closed within 10 s").isNotNull();
            return s;
        }
    }

    @Test
    void concurrentConnectionsEventsSnapshotsAndCountersAgree() throws Exception {
        int n = 40;
        Journal journal = new Journal();
        try (EchoServer echo = EchoServer.start(0, 256, null);
                RunningProxy proxy = Loopback.proxyTo(echo).reactorThreads(4).acceptBacklog(256)
                        .connectionListener(journal).start()) {
            CountDownLatch allEchoed = new CountDownLatch(n);
            CountDownLatch release = new CountDownLatch(1);
            List<CompletableFuture<long[]>> clients = new ArrayList<>();
            Map<Integer, Integer> localPortToSize = new ConcurrentHashMap<>();
            for (int i = 0; i < n; i++) {
                int size = 1 + (i * 7919) % 200_000;
                int seed = i;
                clients.add(Async.start("client-" + i, () -> {
                    try (Socket client = Sockets.connect(proxy.localAddress())) {
                        localPortToSize.put(client.getLocalPort(), size);
                        EchoServer.assertEchoes(client, Payloads.random(size, seed));
                        allEchoed.countDown();
                        if (!release.await(30, TimeUnit.SECONDS)) {
                            throw new AssertionError("not released");
                        }
                        EchoServer.assertEchoes(client, new byte[] {7, 7, 7});
                        client.shutdownOutput();
                        if (client.getInputStream().read() != -1) {
                            throw new AssertionError("no EOF");
                        }
                        return new long[] {client.getLocalPort(), size + 3L};
                    }
                }));
            }
            assertThat(allEchoed.await(30, TimeUnit.SECONDS)).as("all clients echoed once").isTrue();

            // Live: the counters and the snapshots.
            ProxyStats live = proxy.stats();
            assertThat(live.activeConnections()).isEqualTo(n);
            assertThat(live.totalConnections()).isEqualTo(n);
            List<ConnectionInfo> infos = proxy.connections();
            assertThat(infos).hasSize(n);
            long sumUp = 0;
            for (ConnectionInfo info : infos) {
                Integer size = localPortToSize.get(info.clientAddress().getPort());
                assertThat(size).as("snapshot of a known client: " + info).isNotNull();
                assertThat(info.clientAddress().getAddress()).isEqualTo(Sockets.loopback());
                assertThat(info.backend()).isEqualTo(echo.address());
                assertThat(info.state()).isEqualTo(ConnectionState.OPEN);
                assertThat(info.bytesClientToBackend()).as(info.toString()).isEqualTo(size.longValue());
                assertThat(info.bytesBackendToClient()).as(info.toString()).isEqualTo(size.longValue());
                sumUp += size;
            }
            assertThat(infos.stream().map(ConnectionInfo::id).distinct()).hasSize(n);
            // Not asserted on `live`: a counter is raised just after the write, so a client can
            // read its last bytes a moment before stats() counts them (see the report); wait for it.
            long expectedUp = sumUp;
            live = Await.until("the counters caught up with the echoes", WITHIN, proxy::stats,
                    x -> x.bytesClientToBackend() == expectedUp && x.bytesBackendToClient() == expectedUp);
            BackendStatus b = live.backends().get(0);
            assertThat(b.activeConnections()).isEqualTo(n);
            assertThat(b.inactiveConnections()).isZero();

            release.countDown();
            long total = 0;
            for (CompletableFuture<long[]> c : clients) {
                total += c.get(30, TimeUnit.SECONDS)[1];
            }
            Await.until("every connection closed", WITHIN, () -> journal.allClosed.size() == n);
            ProxyStats end = Await.until("no connection open", WITHIN, proxy::stats, s -> s.activeConnections() == 0);
            assertThat(end.totalConnections()).isEqualTo(n);
            assertThat(end.bytesClientToBackend()).isEqualTo(total);
            assertThat(end.bytesBackendToClient()).isEqualTo(total);
            assertThat(end.bufferedBytes()).isZero();
            assertThat(end.refused()).isZero();
            assertThat(end.connectFailures()).isZero();
            BackendStatus be = end.backends().get(0);
            assertThat(be.activeConnections()).isZero();
            assertThat(be.inactiveConnections()).isZero();
            assertThat(be.totalConnections()).isEqualTo(n);
            assertThat(be.bytesClientToBackend()).isEqualTo(total);
            assertThat(journal.allClosed.stream().mapToLong(ConnectionSummary::bytesClientToBackend).sum())
                    .isEqualTo(total);
            assertThat(journal.allClosed.stream().mapToLong(ConnectionSummary::bytesBackendToClient).sum())
                    .isEqualTo(total);

            // Per connection: ids 1..n, accepted first, closed last, once each, on one reactor thread.
            assertThat(new TreeMap<>(journal.byId).keySet()).containsExactlyElementsOf(
                    LongStream.rangeClosed(1, n).boxed().toList());
            List<String> wrong = new ArrayList<>();
            for (var e : journal.byId.entrySet()) {
                List<String> ev = new ArrayList<>(e.getValue());
                List<String> th = new ArrayList<>(journal.threads.get(e.getKey()));
                boolean ok = ev.size() == 3 && ev.get(0).startsWith("accepted 127.0.0.1")
                        && ev.get(1).equals("chosen :" + echo.port() + " #1") && ev.get(2).equals("closed COMPLETED")
                        && th.stream().distinct().count() == 1 && th.get(0).startsWith("tcpproxy-reactor-");
                if (!ok) {
                    wrong.add("#" + e.getKey() + " " + ev + " on " + th);
                }
            }
            assertThat(wrong).isEmpty();
            for (ConnectionSummary s : journal.allClosed) {
                assertThat(s.endedFirst()).as("#" + s.id()).isEqualTo(Side.CLIENT);
                assertThat(s.backend()).isEqualTo(echo.address());
                assertThat(s.duration()).isPositive();
            }
        }
    }

    private static void refusedOnce(TcpProxy.Builder builder, RefusalReason reason, int heldOpen) throws Exception {
        Journal journal = new Journal();
        try (RunningProxy proxy = builder.connectionListener(journal).start()) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < heldOpen; i++) {
                    Socket s = Sockets.connect(proxy.localAddress());
                    held.add(s);
                    EchoServer.assertEchoes(s, new byte[] {1});
                }
                try (Socket refusedClient = Sockets.connect(proxy.localAddress())) {
                    LimitsTest.assertClosedByProxy(refusedClient, "client refused for " + reason);
                }
                Await.until("refused heard", WITHIN, () -> journal.refused.size() == 1);
                assertThat(journal.refused).containsExactly(reason + " 127.0.0.1");
                assertThat(journal.refusedThreads.get(0)).startsWith("tcpproxy-reactor-");
                ProxyStats s = proxy.stats();
                assertThat(s.refused()).isEqualTo(1);
                long byReason = switch (reason) {
                    case DENIED -> s.refusedDenied();
                    case MAX_CONNECTIONS -> s.refusedMaxConnections();
                    case MAX_CONNECTIONS_PER_CLIENT -> s.refusedMaxConnectionsPerClient();
                    case RATE_LIMITED -> s.refusedRateLimited();
                };
                assertThat(byReason).as(reason.toString()).isEqualTo(1);
                assertThat(s.totalConnections()).as("refused clients are not in total").isEqualTo(heldOpen);
                assertThat(s.activeConnections()).isEqualTo(heldOpen);
                assertThat(journal.byId).as("no accepted/closed for the refused client").hasSize(heldOpen);
                assertThat(proxy.connections()).hasSize(heldOpen);
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            Await.until("all closed", WITHIN, () -> proxy.stats().activeConnections() == 0);
        }
    }

    @Test
    void everyRefusalReasonIsReportedOnceAndCountedApart() throws Exception {
        try (EchoServer echo = EchoServer.start()) {
            refusedOnce(Loopback.proxyTo(echo).deny("127.0.0.0/8"), RefusalReason.DENIED, 0);
            refusedOnce(Loopback.proxyTo(echo).allow("10.0.0.0/8", "::1/128"), RefusalReason.DENIED, 0);
            refusedOnce(Loopback.proxyTo(echo).allow("127.0.0.0/8").deny("127.0.0.1/32"), RefusalReason.DENIED, 0);
            refusedOnce(Loopback.proxyTo(echo).maxConnections(2), RefusalReason.MAX_CONNECTIONS, 2);
            refusedOnce(Loopback.proxyTo(echo).maxConnectionsPerClient(1), RefusalReason.MAX_CONNECTIONS_PER_CLIENT, 1);
            refusedOnce(Loopback.proxyTo(echo).maxConnectionRatePerClient(1), RefusalReason.RATE_LIMITED, 1);
        }
    }

    /** Access lists and per-client limits apply to the load balancer's address, not the header's. */
    @Test
    void withAcceptedHeadersLimitsApplyToTheAddressThatConnected() throws Exception {
        Journal journal = new Journal();
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true).deny("192.0.2.0/24")
                        .maxConnectionsPerClient(2).connectionListener(journal).start()) {
            Socket a = Sockets.connect(proxy.localAddress());
            Socket b = Sockets.connect(proxy.localAddress());
            try {
                a.getOutputStream().write("PROXY TCP4 192.0.2.1 198.51.100.2 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
                b.getOutputStream().write("PROXY TCP4 192.0.2.2 198.51.100.2 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
                EchoServer.assertEchoes(a, new byte[] {1});
                EchoServer.assertEchoes(b, new byte[] {2});
                try (Socket c = Sockets.connect(proxy.localAddress())) {
                    LimitsTest.assertClosedByProxy(c, "third client of the same load balancer");
                }
                Await.until("refused heard", WITHIN, () -> journal.refused.size() == 1);
                assertThat(journal.refused).containsExactly("MAX_CONNECTIONS_PER_CLIENT 127.0.0.1");
                List<ConnectionInfo> infos = proxy.connections();
                assertThat(infos).extracting(i -> i.clientAddress().getAddress().getHostAddress())
                        .containsExactlyInAnyOrder("192.0.2.1", "192.0.2.2");
            } finally {
                a.close();
                b.close();
            }
            Await.until("closed", WITHIN, () -> journal.allClosed.size() == 2);
            // Once both ended, the load balancer may connect again (counted against its own address).
            try (Socket d = Sockets.connect(proxy.localAddress())) {
                d.getOutputStream().write("PROXY TCP4 192.0.2.3 198.51.100.2 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
                EchoServer.assertEchoes(d, new byte[] {3});
            }
            ProxyStats s = Await.until("idle", WITHIN, proxy::stats, x -> x.activeConnections() == 0);
            assertThat(s.refusedDenied()).isZero();
            assertThat(s.refusedMaxConnectionsPerClient()).isEqualTo(1);
            assertThat(s.totalConnections()).isEqualTo(3);
        }
    }

    /** Listeners that throw from every method, before and after a good one: the good one hears everything. */
    @Test
    void listenersThrowingFromEveryMethodHarmNothing() throws Exception {
        ConnectionListener broken = new ConnectionListener() {
            @Override
            public void accepted(long id, InetSocketAddress client) {
                throw new IllegalStateException("accepted");
            }

            @Override
            public void refused(InetSocketAddress client, RefusalReason reason) {
                throw new IllegalStateException("refused");
            }

            @Override
            public void backendChosen(long id, InetSocketAddress backend, int attempt) {
                throw new StackOverflowError("chosen");
            }

            @Override
            public void connectFailed(long id, InetSocketAddress backend, String reason) {
                throw new IllegalStateException("failed");
            }

            @Override
            public void closed(ConnectionSummary summary) {
                throw new AssertionError("closed");
            }
        };
        Journal journal = new Journal();
        int down = Sockets.closedPort();
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = TcpProxy.builder().listen(new InetSocketAddress(Sockets.loopback(), 0))
                        .backend(Backend.of("127.0.0.1", down)).backend(echo.backend())
                        .strategy("round-robin").connectAttempts(2).maxConnectionsPerClient(3)
                        .connectionListener(broken).connectionListener(journal).connectionListener(broken)
                        .drainTimeout(Duration.ofSeconds(3)).start()) {
            List<Socket> open = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Socket s = Sockets.connect(proxy.localAddress());
                    open.add(s);
                    EchoServer.assertEchoes(s, Payloads.random(1000, i));
                }
                try (Socket over = Sockets.connect(proxy.localAddress())) {
                    LimitsTest.assertClosedByProxy(over, "fourth client");
                }
            } finally {
                for (Socket s : open) {
                    s.shutdownOutput();
                    assertThat(s.getInputStream().read()).isEqualTo(-1);
                    s.close();
                }
            }
            Await.until("all closed", WITHIN, () -> journal.allClosed.size() == 3);
            assertThat(journal.refused).containsExactly("MAX_CONNECTIONS_PER_CLIENT 127.0.0.1");
            // Round robin: #1 -> down then echo; #2 -> down?... whichever: every list is well formed.
            for (var e : journal.byId.entrySet()) {
                List<String> ev = e.getValue();
                assertThat(ev.get(0)).startsWith("accepted");
                assertThat(ev.get(ev.size() - 1)).isEqualTo("closed COMPLETED");
                assertThat(ev.stream().filter(x -> x.startsWith("closed")).count()).isEqualTo(1);
            }
            ProxyStats s = Await.until("idle", WITHIN, proxy::stats, x -> x.activeConnections() == 0);
            assertThat(s.totalConnections()).isEqualTo(3);
            assertThat(s.connectFailures()).isEqualTo(
                    journal.byId.values().stream().flatMap(List::stream).filter(x -> x.startsWith("failed")).count());
        }
    }

    /** A listener that calls back into the proxy (forbidden on its threads) is caught like a throw. */
    @Test
    void aListenerCallingBackIntoTheProxyIsHarmless() throws Exception {
        AtomicInteger failures = new AtomicInteger();
        RunningProxy[] self = new RunningProxy[1];
        ConnectionListener reentrant = new ConnectionListener() {
            @Override
            public void accepted(long id, InetSocketAddress client) {
                try {
                    self[0].connections();
                } catch (IllegalStateException e) {
                    failures.incrementAndGet();
                    throw e;
                }
            }

            @Override
            public void closed(ConnectionSummary summary) {
                try {
                    self[0].close();
                } catch (IllegalStateException e) {
                    failures.incrementAndGet();
                    throw e;
                }
            }
        };
        Journal journal = new Journal();
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).connectionListener(reentrant).connectionListener(journal)
                        .start()) {
            self[0] = proxy;
            for (int i = 0; i < 3; i++) {
                try (Socket s = Sockets.connect(proxy.localAddress())) {
                    EchoServer.assertEchoes(s, new byte[] {(byte) i});
                }
                assertThat(journal.nextClosed().end()).isIn(End.COMPLETED, End.RESET);
            }
            assertThat(proxy.isRunning()).isTrue();
            assertThat(failures.get()).isEqualTo(6);
        }
    }

    /** Snapshots through a connection's life with an accepted PROXY header. */
    @Test
    void snapshotsFollowAConnectionThroughItsLife() throws Exception {
        Journal journal = new Journal();
        CountDownLatch backendMayEnd = new CountDownLatch(1);
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    byte[] got = Payloads.readToEof(socket.getInputStream(), 1 << 20);
                    socket.getOutputStream().write(got); // echo after the client's FIN
                    socket.getOutputStream().flush();
                    backendMayEnd.await(30, TimeUnit.SECONDS);
                });
                RunningProxy proxy = Loopback.proxyTo(backend).acceptProxyProtocol(true)
                        .proxyProtocolTimeout(Duration.ofSeconds(30)).connectionListener(journal).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            proxy.awaitOpenConnections(1, WITHIN);
            ConnectionInfo before = Await.until("listed", WITHIN, proxy::connections, l -> l.size() == 1).get(0);
            assertThat(before.state()).isEqualTo(ConnectionState.CONNECTING);
            assertThat(before.backend()).isNull();
            assertThat(before.clientAddress()).isEqualTo(client.getLocalSocketAddress());
            assertThat(before.id()).isEqualTo(1);
            assertThat(journal.byId).as("accepted waits for the header").isEmpty();

            client.getOutputStream().write("PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\r\nabc"
                    .getBytes(StandardCharsets.US_ASCII));
            ConnectionInfo open = Await.until("backend chosen", WITHIN, () -> proxy.connections().get(0),
                    i -> i.backend() != null && i.bytesClientToBackend() == 3);
            assertThat(open.state()).isEqualTo(ConnectionState.OPEN);
            assertThat(open.clientAddress()).isEqualTo(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 50000));
            assertThat(open.backend()).isEqualTo(backend.address());

            client.shutdownOutput();
            assertThat(Payloads.readFully(client.getInputStream(), 3)).isEqualTo("abc".getBytes(StandardCharsets.US_ASCII));
            ConnectionInfo half = proxy.connections().get(0);
            assertThat(half.state()).isEqualTo(ConnectionState.HALF_CLOSED);
            assertThat(half.bytesClientToBackend()).isEqualTo(3);
            assertThat(half.bytesBackendToClient()).isEqualTo(3);
            assertThat(proxy.stats().backends().get(0).inactiveConnections()).as("half-closed counts as inactive")
                    .isEqualTo(1);

            half.close();
            ConnectionSummary s = journal.nextClosed();
            assertThat(s.end()).isEqualTo(End.CLOSED_BY_PROXY);
            assertThat(s.endedFirst()).as("the client's FIN came first").isEqualTo(Side.CLIENT);
            assertThat(s.client()).isEqualTo(open.clientAddress());
            assertThat(proxy.connections()).isEmpty();
            half.close(); // a stale snapshot: nothing happens
            half.reset();
            assertThat(journal.allClosed).hasSize(1);
            assertThat(journal.byId.get(1L)).containsExactly("accepted 192.0.2.1", "chosen :" + backend.port() + " #1",
                    "closed CLOSED_BY_PROXY");
        } finally {
            backendMayEnd.countDown();
        }
    }

    @Test
    void resetThroughASnapshotIsAResetByTheProxy() throws Exception {
        Journal journal = new Journal();
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).connectionListener(journal).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(client, new byte[] {1, 2});
            proxy.connections().get(0).reset();
            ConnectionSummary s = journal.nextClosed();
            assertThat(s.end()).isEqualTo(End.RESET);
            assertThat(s.endedFirst()).isEqualTo(Side.PROXY);
            assertThat(s.bytesClientToBackend()).isEqualTo(2);
            assertThat(Sockets.readOutcome(client)).isInstanceOf(SocketException.class);
        }
    }

    /** No backend: per attempt a chosen and a failed, then closed NO_BACKEND; counters agree. */
    @Test
    void noBackendCountsEveryAttempt() throws Exception {
        Journal journal = new Journal();
        int down1 = Sockets.closedPort();
        int down2 = Sockets.closedPort();
        try (RunningProxy proxy = TcpProxy.builder().listen(new InetSocketAddress(Sockets.loopback(), 0))
                .backend(Backend.of("127.0.0.1", down1)).backend(Backend.of("127.0.0.1", down2))
                .connectAttempts(3).connectionListener(journal).drainTimeout(Duration.ofSeconds(3)).start()) {
            for (int i = 0; i < 3; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    client.getOutputStream().write(new byte[] {1, 2, 3});
                    LimitsTest.assertClosedByProxy(client, "client without backend");
                }
                ConnectionSummary s = journal.nextClosed();
                assertThat(s.end()).isEqualTo(End.NO_BACKEND);
                assertThat(s.endedFirst()).isEqualTo(Side.PROXY);
                assertThat(s.backend()).isNull();
                assertThat(s.bytesClientToBackend()).isZero();
            }
            ProxyStats s = Await.until("idle", WITHIN, proxy::stats, x -> x.activeConnections() == 0);
            long failed = journal.byId.values().stream().flatMap(List::stream).filter(x -> x.startsWith("failed")).count();
            long chosen = journal.byId.values().stream().flatMap(List::stream).filter(x -> x.startsWith("chosen")).count();
            assertThat(failed).isEqualTo(chosen).isEqualTo(s.connectFailures());
            assertThat(s.noBackendClosures()).isEqualTo(3);
            assertThat(s.totalConnections()).isEqualTo(3);
            assertThat(s.backends().stream().mapToLong(BackendStatus::connectFailures).sum()).isEqualTo(failed);
            assertThat(s.backends().stream().mapToLong(BackendStatus::totalConnections).sum()).isEqualTo(chosen);
            for (BackendStatus b : s.backends()) {
                assertThat(b.activeConnections()).isZero();
                assertThat(b.inactiveConnections()).isZero();
            }
            for (var e : journal.byId.entrySet()) {
                List<String> ev = e.getValue();
                assertThat(ev.get(0)).startsWith("accepted");
                assertThat(ev.get(ev.size() - 1)).isEqualTo("closed NO_BACKEND");
                for (int k = 1; k < ev.size() - 1; k += 2) {
                    assertThat(ev.get(k)).startsWith("chosen").endsWith("#" + ((k + 1) / 2));
                    assertThat(ev.get(k + 1)).startsWith("failed");
                }
            }
        }
    }

    /** close(ZERO) with open connections, some mid-header: each heard closed once, SHUTDOWN, by the proxy. */
    @Test
    void shutdownClosesEveryConnectionOnceAndTheCountersSettle() throws Exception {
        Journal journal = new Journal();
        List<Socket> clients = new ArrayList<>();
        RunningProxy proxy;
        try (EchoServer echo = EchoServer.start()) {
            proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true).reactorThreads(2)
                    .proxyProtocolTimeout(Duration.ofSeconds(60)).connectionListener(journal).start();
            try {
                for (int i = 0; i < 6; i++) {
                    Socket s = Sockets.connect(proxy.localAddress());
                    clients.add(s);
                    if (i % 2 == 0) {
                        s.getOutputStream().write("PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII));
                        EchoServer.assertEchoes(s, new byte[] {(byte) i});
                    } else {
                        s.getOutputStream().write("PROXY TCP4 1.2".getBytes(StandardCharsets.US_ASCII));
                    }
                }
                proxy.awaitOpenConnections(6, WITHIN);
                proxy.close(Duration.ZERO);
                assertThat(journal.allClosed).hasSize(6);
                assertThat(journal.allClosed).extracting(ConnectionSummary::end).containsOnly(End.SHUTDOWN);
                assertThat(journal.allClosed).extracting(ConnectionSummary::endedFirst).containsOnly(Side.PROXY);
                assertThat(journal.byId).hasSize(6);
                for (var e : journal.byId.entrySet()) {
                    assertThat(e.getValue().get(0)).startsWith("accepted");
                    assertThat(e.getValue().stream().filter(x -> x.startsWith("accepted")).count()).isEqualTo(1);
                }
                ProxyStats s = proxy.stats();
                assertThat(s.activeConnections()).isZero();
                assertThat(s.totalConnections()).isEqualTo(6);
                assertThat(s.proxyProtocolErrors()).as("shutdown is not a header error").isZero();
                assertThat(s.bufferedBytes()).isZero();
                assertThat(proxy.connections()).isEmpty();
                for (Socket c : clients) {
                    assertThat(Sockets.readOutcome(c)).isNotInstanceOf(SocketTimeoutException.class);
                }
            } finally {
                proxy.close();
                for (Socket c : clients) {
                    c.close();
                }
            }
        }
    }

    /** PROXY protocol errors: accepted then closed, no backend, ended first by the right side. */
    @Test
    void proxyProtocolErrorsAreReportedWithWhoEndedFirst() throws Exception {
        Journal journal = new Journal();
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true)
                        .proxyProtocolTimeout(Duration.ofMillis(300)).connectionListener(journal).start()) {
            try (Socket garbage = Sockets.connect(proxy.localAddress())) {
                garbage.getOutputStream().write("HELLO\r\n".getBytes(StandardCharsets.US_ASCII));
                LimitsTest.assertClosedByProxy(garbage, "garbage");
            }
            ConnectionSummary g = journal.nextClosed();
            try (Socket truncated = Sockets.connect(proxy.localAddress())) {
                truncated.getOutputStream().write("PROXY TCP4 ".getBytes(StandardCharsets.US_ASCII));
                truncated.shutdownOutput();
                LimitsTest.assertClosedByProxy(truncated, "truncated");
            }
            ConnectionSummary t = journal.nextClosed();
            try (Socket silent = Sockets.connect(proxy.localAddress())) {
                LimitsTest.assertClosedByProxy(silent, "silent");
            }
            ConnectionSummary l = journal.nextClosed();
            assertThat(List.of(g.end(), t.end(), l.end())).containsOnly(End.PROXY_PROTOCOL_ERROR);
            assertThat(g.endedFirst()).as("garbage").isEqualTo(Side.CLIENT);
            assertThat(t.endedFirst()).as("truncated then FIN").isEqualTo(Side.CLIENT);
            assertThat(l.endedFirst()).as("late").isEqualTo(Side.PROXY);
            for (ConnectionSummary s : List.of(g, t, l)) {
                assertThat(s.backend()).isNull();
                assertThat(s.bytesClientToBackend()).isZero();
                assertThat(journal.byId.get(s.id())).hasSize(2);
            }
            ProxyStats s = Await.until("idle", WITHIN, proxy::stats, x -> x.activeConnections() == 0);
            assertThat(s.proxyProtocolErrors()).isEqualTo(3);
            assertThat(s.totalConnections()).isEqualTo(3);
            assertThat(s.connectFailures()).isZero();
            assertThat(s.noBackendClosures()).isZero();
            assertThat(echo.connections()).isZero();
        }
    }

    /** Idle and half-closed timeouts: the summaries and counters agree. */
    @Test
    void timeoutsAreReportedAndCounted() throws Exception {
        Journal journal = new Journal();
        CountDownLatch hold = new CountDownLatch(1);
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    Payloads.readToEof(socket.getInputStream(), 1 << 20);
                    hold.await(30, TimeUnit.SECONDS);
                });
                // The idle timeout well above the half-closed one, so that a busy machine's pause
                // between the half-closing client's write and FIN cannot make it an idle one.
                RunningProxy proxy = Loopback.proxyTo(backend).idleTimeout(Duration.ofMillis(1500))
                        .halfClosedTimeout(Duration.ofMillis(200)).connectionListener(journal).start()) {
            try (Socket idle = Sockets.connect(proxy.localAddress())) {
                idle.getOutputStream().write(1);
                LimitsTest.assertClosedByProxy(idle, "idle");
            }
            ConnectionSummary i = journal.nextClosed();
            try (Socket half = Sockets.connect(proxy.localAddress())) {
                half.getOutputStream().write(1);
                half.shutdownOutput();
                LimitsTest.assertClosedByProxy(half, "half-closed");
            }
            ConnectionSummary h = journal.nextClosed();
            assertThat(i.end()).isEqualTo(End.IDLE_TIMEOUT);
            assertThat(i.endedFirst()).isEqualTo(Side.PROXY);
            assertThat(h.end()).isEqualTo(End.HALF_CLOSED_TIMEOUT);
            assertThat(h.endedFirst()).isEqualTo(Side.CLIENT);
            ProxyStats s = Await.until("idle", WITHIN, proxy::stats, x -> x.activeConnections() == 0);
            assertThat(s.idleTimeouts()).isEqualTo(1);
            assertThat(s.halfClosedTimeouts()).isEqualTo(1);
            assertThat(s.bytesClientToBackend()).isEqualTo(2);
        } finally {
            hold.countDown();
        }
    }

    /**
     * Churn: clients that complete, reset mid-transfer, send a bad header or nothing at all,
     * backends that reset, a connection limit that refuses some. Whatever happened, every
     * event stream, summary and counter must tell the same story once it is over.
     */
    @Test
    void underChurnEventsSummariesAndCountersTellTheSameStory() throws Exception {
        Journal journal = new Journal();
        int n = 80;
        try (ScriptedServer backend = ScriptedServer.start(0, 256, socket -> {
                    var in = socket.getInputStream();
                    var out = socket.getOutputStream();
                    byte[] buf = new byte[8192];
                    long seen = 0;
                    for (int r; (r = in.read(buf)) >= 0; ) {
                        out.write(buf, 0, r);
                        seen += r;
                        if (buf[0] == 'R' && seen > 20_000) {
                            Sockets.reset(socket); // the backend resets
                            return;
                        }
                    }
                    socket.shutdownOutput();
                });
                RunningProxy proxy = Loopback.proxyTo(backend).reactorThreads(4).acceptBacklog(256)
                        .acceptProxyProtocol(true).proxyProtocolTimeout(Duration.ofMillis(500))
                        .maxConnections(30).connectionListener(journal).start()) {
            List<CompletableFuture<String>> clients = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int kind = i % 5;
                int seed = i;
                clients.add(Async.start("churn-" + i, () -> {
                    try (Socket c = Sockets.connect(proxy.localAddress())) {
                      try {
                        var out = c.getOutputStream();
                        switch (kind) {
                            case 0 -> { // complete
                                out.write("PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII));
                                EchoServer.assertEchoes(c, Payloads.random(30_000 + seed, seed));
                                c.shutdownOutput();
                                Sockets.readOutcome(c);
                            }
                            case 1 -> { // client resets mid-transfer
                                out.write("PROXY TCP4 192.0.2.9 198.51.100.2 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
                                out.write(Payloads.random(50_000, seed));
                                Sockets.reset(c);
                            }
                            case 2 -> { // backend resets
                                out.write("PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII));
                                byte[] p = Payloads.random(60_000, seed);
                                p[0] = 'R';
                                Async.start("w", () -> {
                                    out.write(p);
                                    return null;
                                });
                                for (int k = 0; k < 1_000_000; k++) {
                                    Object o = Sockets.readOutcome(c); // until the reset or the end
                                    if (!(o instanceof Integer r) || r < 0) {
                                        break;
                                    }
                                }
                            }
                            case 3 -> { // bad header
                                out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                                Sockets.readOutcome(c);
                            }
                            default -> // silent: the header timeout
                                Sockets.readOutcome(c);
                        }
                      } catch (IOException e) {
                          return "ended early: " + e; // refused, or reset
                      }
                    }
                    return "ok";
                }));
            }
            for (var c : clients) {
                c.get(60, TimeUnit.SECONDS);
            }
            ProxyStats s = Await.until("every connection ended", Duration.ofSeconds(20), proxy::stats,
                    x -> x.activeConnections() == 0 && journal.allClosed.size() == x.totalConnections());
            assertThat(s.totalConnections() + s.refused()).as("every client either served or refused").isEqualTo(n);
            assertThat(journal.refused).hasSize((int) s.refusedMaxConnections());
            assertThat(s.refused()).isEqualTo(s.refusedMaxConnections());
            assertThat(journal.byId).hasSize((int) s.totalConnections());
            assertThat(journal.allClosed.stream().mapToLong(ConnectionSummary::bytesClientToBackend).sum())
                    .as("sum of summaries up").isEqualTo(s.bytesClientToBackend());
            assertThat(journal.allClosed.stream().mapToLong(ConnectionSummary::bytesBackendToClient).sum())
                    .as("sum of summaries down").isEqualTo(s.bytesBackendToClient());
            assertThat(journal.allClosed.stream().filter(x -> x.end() == End.PROXY_PROTOCOL_ERROR).count())
                    .isEqualTo(s.proxyProtocolErrors());
            assertThat(s.bufferedBytes()).isZero();
            BackendStatus b = s.backends().get(0);
            assertThat(b.activeConnections()).isZero();
            assertThat(b.inactiveConnections()).isZero();
            assertThat(b.bytesClientToBackend()).isEqualTo(s.bytesClientToBackend());
            assertThat(b.bytesBackendToClient()).isEqualTo(s.bytesBackendToClient());
            List<String> wrong = new ArrayList<>();
            for (var e : journal.byId.entrySet()) {
                List<String> ev = new ArrayList<>(e.getValue());
                List<String> th = new ArrayList<>(journal.threads.get(e.getKey()));
                if (!ev.get(0).startsWith("accepted") || !ev.get(ev.size() - 1).startsWith("closed")
                        || ev.stream().filter(x -> x.startsWith("closed")).count() != 1
                        || ev.stream().filter(x -> x.startsWith("accepted")).count() != 1
                        || th.stream().distinct().count() != 1) {
                    wrong.add("#" + e.getKey() + " " + ev + " on " + th);
                }
            }
            assertThat(wrong).isEmpty();
            assertThat(proxy.connections()).isEmpty();
        }
    }

    /**
     * README: "An exception from a listener is caught and logged ...; it never affects the
     * connection or the proxy." Events rethrows OutOfMemoryError on purpose; thrown from
     * refused(), it reaches the Acceptor, whose abort() closes the listen socket: the running
     * proxy accepts no one any more (one reactor: one listen socket).
     */
    @Test
    void anOutOfMemoryErrorFromRefusedDoesNotStopTheProxyListening() throws Exception {
        AtomicBoolean once = new AtomicBoolean();
        ConnectionListener oom = new ConnectionListener() {
            @Override
            public void refused(InetSocketAddress client, RefusalReason reason) {
                if (once.compareAndSet(false, true)) {
                    throw new OutOfMemoryError("simulated, from a listener");
                }
            }
        };
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).reactorThreads(1).maxConnectionsPerClient(1)
                        .connectionListener(oom).start()) {
            try (Socket first = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(first, new byte[] {1});
                try (Socket second = Sockets.connect(proxy.localAddress())) {
                    LimitsTest.assertClosedByProxy(second, "second client over the per-client limit");
                }
            }
            Await.until("first closed", WITHIN, () -> proxy.stats().activeConnections() == 0);
            assertThat(proxy.isRunning()).isTrue();
            String outcome;
            try (Socket third = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(third, new byte[] {3});
                outcome = "served";
            } catch (IOException e) {
                outcome = e.toString();
            }
            assertThat(outcome).as("a client after the listener's error, the limit being free again").isEqualTo("served");
        }
    }

    /**
     * The same Error thrown from closed(): Connection.finish() then skips
     * proxy.connectionEnded(), so the client's slot under maxConnectionsPerClient is never given
     * back and it is refused for ever, though nothing is open.
     */
    @Test
    void anOutOfMemoryErrorFromClosedDoesNotLeakTheClientsConnectionSlot() throws Exception {
        AtomicBoolean once = new AtomicBoolean();
        Journal journal = new Journal();
        ConnectionListener oom = new ConnectionListener() {
            @Override
            public void closed(ConnectionSummary summary) {
                if (once.compareAndSet(false, true)) {
                    throw new OutOfMemoryError("simulated, from a listener");
                }
            }
        };
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).maxConnectionsPerClient(1).connectionListener(oom)
                        .connectionListener(journal).drainTimeout(Duration.ofSeconds(1)).start()) {
            try (Socket first = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(first, new byte[] {1});
                first.shutdownOutput();
                Sockets.readOutcome(first);
            }
            Await.until("first closed", WITHIN, () -> proxy.stats().activeConnections() == 0);
            String outcome;
            try (Socket second = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(second, new byte[] {2});
                outcome = "served";
            } catch (IOException e) {
                outcome = e.toString();
            }
            if (!outcome.equals("served")) {
                Await.until("the refusal heard", WITHIN, () -> !journal.refused.isEmpty());
            }
            assertThat(outcome).as("second client, with no connection open (active " + proxy.stats().activeConnections()
                    + "); refusals heard: " + journal.refused).isEqualTo("served");
        }
    }

    /** Hand-off mode (one acceptor hands clients to the reactors): events of one connection stay on one thread. */
    @Test
    void inHandOffModeEachConnectionsEventsComeFromOneReactorInOrder() throws Exception {
        String before = System.getProperty(Listeners.PROPERTY);
        System.setProperty(Listeners.PROPERTY, "false");
        try {
            Journal journal = new Journal();
            int n = 24;
            try (EchoServer echo = EchoServer.start(0, 256, null);
                    RunningProxy proxy = Loopback.proxyTo(echo).reactorThreads(4).acceptProxyProtocol(true)
                            .maxConnectionsPerClient(n).connectionListener(journal).start()) {
                List<CompletableFuture<Long>> clients = new ArrayList<>();
                for (int i = 0; i < n + 4; i++) {
                    int k = i;
                    clients.add(Async.start("h" + i, () -> {
                        try (Socket c = Sockets.connect(proxy.localAddress())) {
                            c.getOutputStream().write(("PROXY TCP4 192.0.2." + (k + 1) + " 198.51.100.2 7 8\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
                            EchoServer.assertEchoes(c, Payloads.random(10_000 + k, k));
                            c.shutdownOutput();
                            Sockets.readOutcome(c);
                            return 10_000L + k;
                        } catch (IOException | AssertionError e) {
                            return 0L; // refused: over the per-client limit
                        }
                    }));
                }
                long up = 0;
                for (var c : clients) {
                    up += c.get(60, TimeUnit.SECONDS);
                }
                ProxyStats s = Await.until("all ended", WITHIN, proxy::stats,
                        x -> x.activeConnections() == 0 && journal.allClosed.size() == x.totalConnections());
                assertThat(s.totalConnections() + s.refused()).isEqualTo(n + 4);
                assertThat(journal.refused).hasSize((int) s.refused());
                assertThat(s.bytesClientToBackend()).isGreaterThanOrEqualTo(up);
                assertThat(journal.allClosed.stream().mapToLong(ConnectionSummary::bytesClientToBackend).sum())
                        .isEqualTo(s.bytesClientToBackend());
                Map<String, Long> perThread = new TreeMap<>();
                List<String> wrong = new ArrayList<>();
                for (var e : journal.byId.entrySet()) {
                    List<String> ev = new ArrayList<>(e.getValue());
                    List<String> th = new ArrayList<>(journal.threads.get(e.getKey()));
                    perThread.merge(th.get(0), 1L, Long::sum);
                    if (!ev.get(0).startsWith("accepted 192.0.2.") || !ev.get(ev.size() - 1).startsWith("closed")
                            || th.stream().distinct().count() != 1 || !th.get(0).startsWith("tcpproxy-reactor-")) {
                        wrong.add("#" + e.getKey() + " " + ev + " on " + th);
                    }
                }
                assertThat(wrong).isEmpty();
                assertThat(perThread.keySet()).as("connections spread over the reactors").hasSizeGreaterThan(1);
            }
        } finally {
            if (before == null) {
                System.clearProperty(Listeners.PROPERTY);
            } else {
                System.setProperty(Listeners.PROPERTY, before);
            }
        }
    }

    /** close(ZERO) while connections move data and others arrive: each connection heard closed exactly once. */
    @Test
    void closingUnderTrafficReportsEveryConnectionExactlyOnce() throws Exception {
        Journal journal = new Journal();
        int n = 30;
        try (EchoServer echo = EchoServer.start(0, 256, null)) {
            RunningProxy proxy = Loopback.proxyTo(echo).reactorThreads(3).acceptBacklog(256)
                    .connectionListener(journal).start();
            List<CompletableFuture<Object>> clients = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(n / 2);
            try {
                for (int i = 0; i < n; i++) {
                    int k = i;
                    clients.add(Async.start("t" + i, () -> {
                        try (Socket c = Sockets.connect(proxy.localAddress())) {
                            EchoServer.assertEchoes(c, new byte[] {1});
                            started.countDown();
                            byte[] chunk = Payloads.random(32 * 1024, k);
                            for (int r = 0; r < 2000; r++) {
                                EchoServer.assertEchoes(c, chunk);
                            }
                            return "done";
                        } catch (Exception | AssertionError e) {
                            return e;
                        }
                    }));
                }
                assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
                proxy.close(Duration.ZERO);
                for (var c : clients) {
                    c.get(60, TimeUnit.SECONDS);
                }
                ProxyStats s = proxy.stats();
                assertThat(s.activeConnections()).isZero();
                assertThat(s.bufferedBytes()).isZero();
                assertThat(journal.allClosed).hasSize((int) s.totalConnections());
                assertThat(journal.allClosed.stream().map(ConnectionSummary::id).distinct().count())
                        .isEqualTo(s.totalConnections());
                assertThat(journal.allClosed.stream().mapToLong(ConnectionSummary::bytesClientToBackend).sum())
                        .isEqualTo(s.bytesClientToBackend());
                assertThat(journal.allClosed.stream().mapToLong(ConnectionSummary::bytesBackendToClient).sum())
                        .isEqualTo(s.bytesBackendToClient());
                for (var e : journal.byId.entrySet()) {
                    assertThat(e.getValue().get(0)).as("#" + e.getKey()).startsWith("accepted");
                    assertThat(e.getValue().stream().filter(x -> x.startsWith("closed")).count()).isEqualTo(1);
                }
                BackendStatus b = s.backends().get(0);
                assertThat(b.activeConnections()).isZero();
                assertThat(b.inactiveConnections()).isZero();
            } finally {
                proxy.close();
            }
        }
    }
}
