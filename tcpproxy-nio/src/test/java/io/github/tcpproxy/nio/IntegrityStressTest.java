package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.ProxyProtocol;
import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.fault.FlowDirection;
import io.github.tcpproxy.fault.Jitter;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Adversarial "correct to the last byte" checks: many concurrent full-duplex transfers of random
 * sizes, verified by SHA-256 at both ends, under tiny buffers and a spent budget, stalled readers,
 * half-closes, resets, faults and close() with transfers in flight; afterwards nothing is left
 * open or held.
 */
@Timeout(60)
class IntegrityStressTest {

    // ---------------------------------------------------------------- the mixed workload

    /** How one connection of a mix behaves. */
    record Plan(long seed, long up, long down, boolean clientStalls, boolean backendStalls, boolean backendFinFirst) {
        long upSeed() {
            return seed * 2;
        }

        long downSeed() {
            return seed * 2 + 1;
        }
    }

    /** Knobs of a mix. */
    record Mix(int connections, long maxSize, double stallShare, int stalledRcvBuf, long randomSeed,
            long stalledMinDown) {
        Mix(int connections, long maxSize, double stallShare, int stalledRcvBuf, long randomSeed) {
            this(connections, maxSize, stallShare, stalledRcvBuf, randomSeed, 0);
        }
    }

    /** What a mix found, for assertions beyond the bytes. */
    record Outcome(List<Plan> plans, ProxyStats stats, List<ConnectionSummary> summaries) {
    }

    private static final int HEADER = 8 + 8 + 8 + 1;

    /**
     * The backend of a mix: reads the plan's header (seed, up, down, flags), then sends {@code down}
     * bytes while it reads the client's bytes to the end; FIN after its bytes (before reading, if
     * the plan says so). A stalled backend reads nothing until the gate opens.
     */
    private static ScriptedServer mixBackend(Map<Long, CompletableFuture<Payloads.Received>> got, CountDownLatch gate,
            ProxyProtocol expectHeader) {
        return ScriptedServer.start(0, 512, socket -> {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            if (expectHeader == ProxyProtocol.V1) {
                int b;
                int count = 0;
                while ((b = in.read()) != '\n') {
                    if (b < 0 || ++count > 107) {
                        throw new IOException("bad v1 header");
                    }
                }
            } else if (expectHeader == ProxyProtocol.V2) {
                byte[] fixed = new byte[16];
                in.readFully(fixed);
                in.readFully(new byte[((fixed[14] & 0xFF) << 8) | (fixed[15] & 0xFF)]);
            }
            long seed = in.readLong();
            long up = in.readLong();
            long down = in.readLong();
            int flags = in.readByte();
            boolean backendStalls = (flags & 2) != 0;
            boolean finFirst = (flags & 4) != 0;
            CompletableFuture<Payloads.Received> mine = got.computeIfAbsent(seed, k -> new CompletableFuture<>());
            if (finFirst) {
                Payloads.write(socket.getOutputStream(), seed * 2 + 1, down);
                socket.shutdownOutput();
                if (backendStalls) {
                    gate.await(20, TimeUnit.SECONDS);
                }
                mine.complete(Payloads.drain(in, up + 1));
                return;
            }
            CompletableFuture<String> writer = Async.start("mix-backend-writer", () -> {
                String h = Payloads.write(socket.getOutputStream(), seed * 2 + 1, down);
                socket.shutdownOutput();
                return h;
            });
            if (backendStalls) {
                gate.await(20, TimeUnit.SECONDS);
            }
            mine.complete(Payloads.drain(in, up + 1));
            writer.get(30, TimeUnit.SECONDS);
        });
    }

    private static List<Plan> plans(Mix mix) {
        SplittableRandom r = new SplittableRandom(mix.randomSeed());
        List<Plan> plans = new ArrayList<>();
        for (int i = 0; i < mix.connections(); i++) {
            long up = size(r, mix.maxSize());
            long down = size(r, mix.maxSize());
            boolean clientStalls = r.nextDouble() < mix.stallShare();
            boolean backendStalls = r.nextDouble() < mix.stallShare();
            boolean finFirst = r.nextInt(4) == 0;
            if (clientStalls) {
                down = Math.max(down, mix.stalledMinDown());
            }
            plans.add(new Plan(1000L + i + mix.randomSeed() * 100_000, up, down, clientStalls, backendStalls,
                    finFirst));
        }
        return plans;
    }

    private static long size(SplittableRandom r, long max) {
        switch (r.nextInt(6)) {
            case 0:
                return 0;
            case 1:
                return 1 + r.nextInt(10);
            case 2:
                return 1 + r.nextInt(5000);
            default:
                return r.nextLong(max + 1);
        }
    }

    /**
     * Runs the mix through a proxy built by {@code builder} (whose backend is set here), checks
     * every byte on both sides, and that the proxy is back to rest.
     */
    private Outcome runMix(Mix mix, TcpProxy.Builder builder, Consumer<RunningProxy> whileRunning) throws Exception {
        return runMix(mix, builder, whileRunning, null);
    }

    private Outcome runMix(Mix mix, TcpProxy.Builder builder, Consumer<RunningProxy> whileRunning,
            ProxyProtocol header) throws Exception {
        List<Plan> plans = plans(mix);
        Map<Long, CompletableFuture<Payloads.Received>> backendGot = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<ConnectionSummary> summaries = new ConcurrentLinkedQueue<>();
        CountDownLatch gate = new CountDownLatch(1);
        try (ScriptedServer backend = mixBackend(backendGot, gate, header);
                RunningProxy proxy = builder.backend(backend.backend())
                        .connectionListener(new ConnectionListener() {
                            @Override
                            public void closed(ConnectionSummary s) {
                                summaries.add(s);
                            }
                        }).start()) {
            NioProxy engine = (NioProxy) proxy;
            long budgetBefore = engine.bufferBudget.taken();
            List<Socket> sockets = new ArrayList<>();
            List<CompletableFuture<Payloads.Received>> clientGot = new ArrayList<>();
            List<CompletableFuture<String>> clientSent = new ArrayList<>();
            try {
                for (Plan p : plans) {
                    backendGot.computeIfAbsent(p.seed(), k -> new CompletableFuture<>());
                    Socket s = new Socket();
                    sockets.add(s);
                    if (p.clientStalls() && mix.stalledRcvBuf() > 0) {
                        s.setReceiveBufferSize(mix.stalledRcvBuf());
                    }
                    s.connect(proxy.localAddress(), 5_000);
                    s.setSoTimeout(30_000);
                    clientGot.add(Async.start("mix-client-reader", () -> {
                        if (p.clientStalls()) {
                            gate.await(20, TimeUnit.SECONDS);
                        }
                        return Payloads.drain(s.getInputStream(), p.down() + 1);
                    }));
                    clientSent.add(Async.start("mix-client-writer", () -> {
                        DataOutputStream out = new DataOutputStream(s.getOutputStream());
                        out.writeLong(p.seed());
                        out.writeLong(p.up());
                        out.writeLong(p.down());
                        out.writeByte((p.clientStalls() ? 1 : 0) | (p.backendStalls() ? 2 : 0)
                                | (p.backendFinFirst() ? 4 : 0));
                        out.flush();
                        String h = Payloads.write(s.getOutputStream(), p.upSeed(), p.up());
                        s.shutdownOutput();
                        return h;
                    }));
                }
                if (whileRunning != null) {
                    whileRunning.accept(proxy);
                }
                // The stalled ones start reading once every connection not stalled is done, or
                // after a bounded wait.
                Await.until("the unstalled connections finish", Duration.ofSeconds(20), () -> {
                    for (int i = 0; i < plans.size(); i++) {
                        Plan p = plans.get(i);
                        if (!p.clientStalls() && !clientGot.get(i).isDone()) {
                            return false;
                        }
                        if (!p.backendStalls() && !backendGot.get(p.seed()).isDone()) {
                            return false;
                        }
                    }
                    return true;
                });
                gate.countDown();
                for (int i = 0; i < plans.size(); i++) {
                    Plan p = plans.get(i);
                    assertThat(clientGot.get(i).get(30, TimeUnit.SECONDS)).as("client of %s", p)
                            .isEqualTo(new Payloads.Received(p.down(), Payloads.sha256(p.downSeed(), p.down())));
                    assertThat(backendGot.get(p.seed()).get(30, TimeUnit.SECONDS)).as("backend of %s", p)
                            .isEqualTo(new Payloads.Received(p.up(), Payloads.sha256(p.upSeed(), p.up())));
                    clientSent.get(i).get(5, TimeUnit.SECONDS);
                }
            } finally {
                gate.countDown();
                for (Socket s : sockets) {
                    s.close();
                }
            }
            ProxyStats stats = Await.until("every connection ended", Duration.ofSeconds(10), proxy::stats,
                    s -> s.activeConnections() == 0 && summaries.size() == plans.size());
            long up = plans.stream().mapToLong(p -> p.up() + HEADER).sum();
            long down = plans.stream().mapToLong(Plan::down).sum();
            assertThat(stats.totalConnections()).isEqualTo(plans.size());
            assertThat(stats.bytesClientToBackend()).as("bytes up").isEqualTo(up);
            assertThat(stats.bytesBackendToClient()).as("bytes down").isEqualTo(down);
            assertThat(stats.bufferedBytes()).as("buffered").isZero();
            assertThat(summaries).allSatisfy(s -> assertThat(s.end()).as("%s", s).isEqualTo(ConnectionSummary.End.COMPLETED));
            assertThat(summaries.stream().mapToLong(ConnectionSummary::bytesClientToBackend).sum()).isEqualTo(up);
            assertThat(summaries.stream().mapToLong(ConnectionSummary::bytesBackendToClient).sum()).isEqualTo(down);
            for (Reactor r : engine.reactors) {
                CompletableFuture<int[]> pool = new CompletableFuture<>();
                r.execute(() -> pool.complete(new int[] {r.buffers.outstanding(), r.buffers.idle()}));
                int[] counts = pool.get(5, TimeUnit.SECONDS);
                assertThat(counts[0]).as("buffers outstanding on reactor %d", r.index).isZero();
            }
            long spares = 0;
            for (Reactor r : engine.reactors) {
                spares += (long) r.buffers.idle() * r.buffers.bufferSize();
            }
            assertThat(engine.bufferBudget.taken()).as("budget taken = spares").isEqualTo(budgetBefore + spares);
            backend.assertNoFailures();
            return new Outcome(plans, stats, new ArrayList<>(summaries));
        }
    }

    private static TcpProxy.Builder builder() {
        return TcpProxy.builder().listen(new InetSocketAddress(Sockets.loopback(), 0))
                .drainTimeout(Duration.ofSeconds(3));
    }

    @ParameterizedTest(name = "reactors={0}")
    @ValueSource(ints = {1, 2})
    void manyConcurrentFullDuplexTransfersArriveByteExact(int reactors) throws Exception {
        runMix(new Mix(50, 1 << 20, 0, 0, reactors), builder().reactorThreads(reactors), null);
    }

    @ParameterizedTest(name = "reactors={0}")
    @ValueSource(ints = {1, 2})
    void tinyBuffersAndASpentBudgetWithStalledReadersLoseNothing(int reactors) throws Exception {
        Outcome o = runMix(new Mix(40, 256 << 10, 0.3, 4096, 7 + reactors, 2 << 20),
                builder().reactorThreads(reactors).bufferSize(1024).maxBufferMemory(2048).sendBufferSize(65536),
                null);
        assertThat(o.stats().bufferWaits()).as("the reserve path was used").isPositive();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(ProxyProtocol.class)
    void aProxyProtocolHeaderWithTinyBuffersAndFaultsIsNeitherLostNorCounted(ProxyProtocol v)
            throws Exception {
        Outcome o = runMix(new Mix(24, 200 << 10, 0.3, 4096, 31, 1 << 20),
                builder().reactorThreads(2).bufferSize(1024).maxBufferMemory(2048).sendBufferSize(65536)
                        .sendProxyProtocol(v), proxy -> proxy.addFault(Faults.slicer(10, 5, Duration.ZERO),
                        FaultTarget.all().everyNth(2).direction(FlowDirection.CLIENT_TO_BACKEND)),
                v);
        assertThat(o.stats().bufferWaits()).isPositive();
    }

    @Test
    void smallBufferBudgetWithSmallSocketBuffersLosesNothing() throws Exception {
        Outcome o = runMix(new Mix(24, 128 << 10, 0.4, 2048, 99),
                builder().reactorThreads(2).bufferSize(4096).maxBufferMemory(8192).sendBufferSize(8192)
                        .receiveBufferSize(8192), null);
        assertThat(o.stats().bufferWaits()).isPositive();
    }

    @Test
    void faultsOnTopOfTransfersKeepEveryByte() throws Exception {
        runMix(new Mix(16, 128 << 10, 0.2, 4096, 5), builder().reactorThreads(2).bufferSize(4096)
                .maxBufferMemory(16384), proxy -> {
                    proxy.addFault(Faults.latency(Duration.ofMillis(3), Duration.ofMillis(2),
                            Jitter.UNIFORM), FaultTarget.all().newConnections()
                            .direction(FlowDirection.BACKEND_TO_CLIENT));
                    proxy.addFault(Faults.slicer(700, 300, Duration.ZERO),
                            FaultTarget.all().direction(FlowDirection.CLIENT_TO_BACKEND));
                    proxy.addFault(Faults.bandwidth(8L << 20), FaultTarget.all().everyNth(2));
                });
    }

    @Test
    void faultsAddedAndRemovedMidTransferKeepEveryByte() throws Exception {
        runMix(new Mix(20, 512 << 10, 0.2, 4096, 11), builder().reactorThreads(2).bufferSize(2048)
                .maxBufferMemory(8192), proxy -> {
                    for (int round = 0; round < 6; round++) {
                        try (FaultHandle f = proxy.addFault(round % 2 == 0 ? Faults.freeze()
                                : Faults.slicer(100, 50, Duration.ofMillis(1)))) {
                            proxy.connections(); // a round trip through the reactors
                        }
                        try (FaultHandle f = proxy.addFault(Faults.latency(Duration.ofMillis(2)),
                                FaultTarget.all().direction(round % 2 == 0 ? FlowDirection.CLIENT_TO_BACKEND
                                        : FlowDirection.BACKEND_TO_CLIENT))) {
                            proxy.connections();
                        }
                    }
                });
    }

    // ---------------------------------------------------------------- half-closes with the budget spent

    /** What a test does through a proxy whose buffer budget is held. */
    interface WithTheBudgetHeld {
        void run(RunningProxy proxy) throws Exception;
    }

    /**
     * Runs {@code test} through a proxy (8 KiB buffers, a 16 KiB budget) whose budget two
     * connections hold for the whole test: their clients never read, and the backend pushes at
     * them (they start with 'P'). Other connections (starting with 'R') are served by
     * {@code serve}, given the socket after that first byte.
     */
    private static void withTheBudgetHeld(int reactors, ScriptedServer.Handler serve, WithTheBudgetHeld test)
            throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    if (socket.getInputStream().read() == 'P') {
                        Async.start("push", () -> Payloads.write(socket.getOutputStream(), 1, 64L << 20));
                        done.await(25, TimeUnit.SECONDS);
                        return;
                    }
                    serve.handle(socket);
                });
                RunningProxy proxy = builder().backend(backend.backend()).reactorThreads(reactors).bufferSize(8192)
                        .maxBufferMemory(16384).start()) {
            NioProxy engine = (NioProxy) proxy;
            List<Socket> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Socket c = new Socket();
                    stalled.add(c);
                    c.setReceiveBufferSize(4096);
                    c.connect(proxy.localAddress(), 5_000);
                    c.getOutputStream().write('P');
                }
                Await.until("the budget is held", Duration.ofSeconds(10),
                        () -> engine.bufferBudget.taken() >= 16384 && proxy.stats().bufferedBytes() > 0);
                test.run(proxy);
            } finally {
                done.countDown();
                for (Socket s : stalled) {
                    s.close();
                }
            }
            Await.until("all closed", Duration.ofSeconds(10), () -> proxy.stats().activeConnections() == 0);
            backend.assertNoFailures();
        }
    }

    @ParameterizedTest(name = "reactors={0}")
    @ValueSource(ints = {1, 2})
    void clientHalfCloseThenLargeResponseWithTheBudgetSpent(int reactors) throws Exception {
        long request = 300_000;
        long answer = 3L << 20;
        CompletableFuture<Payloads.Received> backendGot = new CompletableFuture<>();
        withTheBudgetHeld(reactors, socket -> {
            backendGot.complete(Payloads.drain(socket.getInputStream(), 2 * request));
            Payloads.write(socket.getOutputStream(), 77, answer);
        }, proxy -> {
            try (Socket c = Sockets.connect(proxy.localAddress())) {
                c.getOutputStream().write('R');
                String sent = Payloads.write(c.getOutputStream(), 76, request);
                c.shutdownOutput();
                Payloads.Received got = Payloads.drain(c.getInputStream(), 2 * answer);
                assertThat(got).isEqualTo(new Payloads.Received(answer, Payloads.sha256(77, answer)));
                assertThat(backendGot.get(10, TimeUnit.SECONDS)).isEqualTo(new Payloads.Received(request, sent));
            }
            assertThat(proxy.stats().bufferWaits()).isPositive();
        });
    }

    @ParameterizedTest(name = "reactors={0}")
    @ValueSource(ints = {1, 2})
    void backendHalfCloseThenLargeRequestWithTheBudgetSpent(int reactors) throws Exception {
        long answer = 200_000;
        long request = 3L << 20;
        CompletableFuture<Payloads.Received> backendGot = new CompletableFuture<>();
        withTheBudgetHeld(reactors, socket -> {
            Payloads.write(socket.getOutputStream(), 55, answer);
            socket.shutdownOutput();
            backendGot.complete(Payloads.drain(socket.getInputStream(), 2 * request));
        }, proxy -> {
            try (Socket c = Sockets.connect(proxy.localAddress())) {
                c.getOutputStream().write('R');
                Payloads.Received got = Payloads.drain(c.getInputStream(), 2 * answer);
                assertThat(got).isEqualTo(new Payloads.Received(answer, Payloads.sha256(55, answer)));
                String sent = Payloads.write(c.getOutputStream(), 56, request);
                c.shutdownOutput();
                assertThat(backendGot.get(20, TimeUnit.SECONDS)).isEqualTo(new Payloads.Received(request, sent));
                assertThat(c.getInputStream().read()).isEqualTo(-1);
            }
        });
    }

    // ---------------------------------------------------------------- resets in the middle

    @ParameterizedTest(name = "bufferSize={0}")
    @ValueSource(ints = {1024, 262144})
    void clientResetDuringUploadReachesTheBackendAsAReset(int bufferSize) throws Exception {
        CompletableFuture<Object> backendEnd = new CompletableFuture<>();
        CompletableFuture<Void> someArrived = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    InputStream in = socket.getInputStream();
                    byte[] buf = new byte[8192];
                    long total = 0;
                    try {
                        for (int n; (n = in.read(buf)) >= 0; ) {
                            total += n;
                            if (total > 100_000) {
                                someArrived.complete(null);
                            }
                        }
                        backendEnd.complete("clean EOF after " + total);
                    } catch (IOException e) {
                        backendEnd.complete(e);
                    }
                });
                RunningProxy proxy = builder().backend(backend.backend()).bufferSize(bufferSize).start()) {
            Socket c = Sockets.connect(proxy.localAddress());
            CompletableFuture<Object> writer = Async.start("uploader", () -> {
                try {
                    Payloads.write(c.getOutputStream(), 3, 1L << 30);
                    return "wrote all";
                } catch (IOException e) {
                    return e;
                }
            });
            someArrived.get(10, TimeUnit.SECONDS);
            Sockets.reset(c);
            assertThat(backendEnd.get(10, TimeUnit.SECONDS)).as("how the backend saw the end")
                    .isInstanceOf(SocketException.class);
            writer.get(10, TimeUnit.SECONDS);
            Await.until("closed", Duration.ofSeconds(5), () -> proxy.stats().activeConnections() == 0);
        }
    }

    @ParameterizedTest(name = "bufferSize={0}")
    @ValueSource(ints = {1024, 262144})
    void backendResetDuringDownloadReachesTheClientAsAReset(int bufferSize) throws Exception {
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    socket.getInputStream().read();
                    try {
                        Payloads.write(socket.getOutputStream(), 4, 300_000);
                    } finally {
                        Sockets.reset(socket);
                    }
                });
                RunningProxy proxy = builder().backend(backend.backend()).bufferSize(bufferSize).start();
                Socket c = Sockets.connect(proxy.localAddress())) {
            c.getOutputStream().write(1);
            Object end;
            long total = 0;
            byte[] buf = new byte[65536];
            try {
                for (int n; (n = c.getInputStream().read(buf)) >= 0; ) {
                    total += n;
                }
                end = "clean EOF after " + total + " bytes";
            } catch (IOException e) {
                end = e;
            }
            assertThat(end).as("how the client saw the backend's reset").isInstanceOf(SocketException.class);
            Await.until("closed", Duration.ofSeconds(5), () -> proxy.stats().activeConnections() == 0);
        }
    }

    /**
     * The backend sends a lot and resets while the client is not reading (the proxy holds data for
     * it). When the client reads again it must get an exact prefix and then a reset, never a clean
     * end of stream.
     */
    @ParameterizedTest(name = "reactors={0}")
    @ValueSource(ints = {1, 2})
    void backendResetWhileTheClientDoesNotReadEndsInAResetAfterAnExactPrefix(int reactors) throws Exception {
        long size = 4L << 20;
        CompletableFuture<Long> backendWrote = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    socket.getInputStream().read();
                    CountingOut out = new CountingOut(socket.getOutputStream());
                    CompletableFuture<Object> w = Async.start("writer", () -> {
                        try {
                            return Payloads.write(out, 8, size);
                        } catch (IOException e) {
                            return e;
                        }
                    });
                    // Reset once a good part is written (the writer may be blocked by then).
                    Await.until("some written", Duration.ofSeconds(10), () -> out.count > 500_000);
                    backendWrote.complete(out.count);
                    Sockets.reset(socket);
                    w.get(10, TimeUnit.SECONDS);
                });
                RunningProxy proxy = builder().backend(backend.backend()).reactorThreads(reactors).bufferSize(16384)
                        .start()) {
            Socket c = new Socket();
            c.setReceiveBufferSize(8192);
            c.connect(proxy.localAddress(), 5000);
            c.setSoTimeout(10_000);
            try {
                c.getOutputStream().write(1);
                backendWrote.get(10, TimeUnit.SECONDS);
                // Wait until the proxy has seen the reset (the connection is gone) before reading.
                Await.until("the proxy ended the connection", Duration.ofSeconds(10),
                        () -> proxy.stats().activeConnections() == 0);
                byte[] expected = Payloads.random((int) size, 8);
                InputStream in = c.getInputStream();
                byte[] buf = new byte[65536];
                int total = 0;
                Object end;
                try {
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        for (int i = 0; i < n; i++) {
                            if (buf[i] != expected[total + i]) {
                                throw new AssertionError("byte " + (total + i) + " differs");
                            }
                        }
                        total += n;
                    }
                    end = "clean EOF after " + total + " bytes";
                } catch (SocketException e) {
                    end = e;
                }
                assertThat(end).as("after %d bytes", total).isInstanceOf(SocketException.class);
            } finally {
                c.close();
            }
        }
    }

    /** The client resets while its upload is held in the proxy (the backend does not read yet). */
    @Test
    void clientResetWhileTheBackendDoesNotReadReachesTheBackendAsAReset() throws Exception {
        CompletableFuture<Object> backendEnd = new CompletableFuture<>();
        CountDownLatch startReading = new CountDownLatch(1);
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    startReading.await(20, TimeUnit.SECONDS);
                    long total = 0;
                    byte[] buf = new byte[8192];
                    try {
                        for (int n; (n = socket.getInputStream().read(buf)) >= 0; ) {
                            total += n;
                        }
                        backendEnd.complete("clean EOF after " + total);
                    } catch (IOException e) {
                        backendEnd.complete(e);
                    }
                });
                RunningProxy proxy = builder().backend(backend.backend()).bufferSize(16384).start()) {
            SocketChannel c = SocketChannel.open(proxy.localAddress());
            c.configureBlocking(false);
            ByteBuffer chunk = ByteBuffer.wrap(Payloads.random(65536, 3));
            long wrote = 0;
            // Fill everything between the client and the backend: the proxy holds a buffer, the
            // kernel's buffers are full, the client's write returns 0.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int zeros = 0;
            for (int i = 0; i < 1_000_000 && System.nanoTime() < deadline; i++) {
                if (!chunk.hasRemaining()) {
                    chunk.clear();
                }
                int n = c.write(chunk);
                wrote += n;
                if (n == 0) {
                    if (proxy.stats().bufferedBytes() > 0 && ++zeros > 200) {
                        break;
                    }
                    Thread.onSpinWait();
                } else {
                    zeros = 0;
                }
            }
            assertThat(proxy.stats().bufferedBytes()).as("held in the proxy after %d bytes", wrote).isPositive();
            c.setOption(StandardSocketOptions.SO_LINGER, 0);
            c.close();
            startReading.countDown();
            assertThat(backendEnd.get(15, TimeUnit.SECONDS)).as("how the backend saw the end")
                    .isInstanceOf(SocketException.class);
            Await.until("closed", Duration.ofSeconds(5), () -> proxy.stats().activeConnections() == 0);
        }
    }

    // ---------------------------------------------------------------- close() with transfers in flight

    @Test
    void closeWithADrainLetsTransfersInFlightFinishByteExact() throws Exception {
        int n = 10;
        long size = 2L << 20;
        Map<Long, CompletableFuture<Payloads.Received>> got = new ConcurrentHashMap<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    DataInputStream in = new DataInputStream(socket.getInputStream());
                    long seed = in.readLong();
                    CompletableFuture<String> w = Async.start("w", () -> {
                        String h = Payloads.write(socket.getOutputStream(), seed + 1000, size);
                        socket.shutdownOutput();
                        return h;
                    });
                    got.get(seed).complete(Payloads.drain(in, 2 * size));
                    w.get(20, TimeUnit.SECONDS);
                })) {
            RunningProxy proxy = builder().backend(backend.backend()).bufferSize(8192).drainTimeout(Duration.ofSeconds(15))
                    .start();
            List<Socket> sockets = new ArrayList<>();
            List<CompletableFuture<Payloads.Received>> reads = new ArrayList<>();
            List<CompletableFuture<String>> writes = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            try {
                for (long i = 0; i < n; i++) {
                    long seed = i;
                    got.put(seed, new CompletableFuture<>());
                    Socket s = Sockets.connect(proxy.localAddress());
                    sockets.add(s);
                    new DataOutputStream(s.getOutputStream()).writeLong(seed);
                    reads.add(Async.start("r", () -> Payloads.drain(Payloads.slow(s.getInputStream(), 65536,
                            Duration.ofMillis(1)), 2 * size)));
                    writes.add(Async.start("w", () -> {
                        go.await(10, TimeUnit.SECONDS);
                        String h = Payloads.write(s.getOutputStream(), seed, size);
                        s.shutdownOutput();
                        return h;
                    }));
                }
                proxy.awaitOpenConnections(n, Duration.ofSeconds(5));
                go.countDown();
                proxy.awaitBytes(FlowDirection.BOTH, 1, Duration.ofSeconds(5));
                proxy.close(); // drains: every transfer in flight must end whole
                for (int i = 0; i < n; i++) {
                    assertThat(reads.get(i).get(20, TimeUnit.SECONDS)).as("client %d", i)
                            .isEqualTo(new Payloads.Received(size, Payloads.sha256(i + 1000, size)));
                    assertThat(got.get((long) i).get(5, TimeUnit.SECONDS)).as("backend %d", i)
                            .isEqualTo(new Payloads.Received(size, writes.get(i).get(5, TimeUnit.SECONDS)));
                }
                assertThat(proxy.stats().activeConnections()).isZero();
                assertThat(proxy.stats().bytesBackendToClient()).isEqualTo(n * size);
                assertThat(proxy.stats().bytesClientToBackend()).isEqualTo(n * (size + 8));
            } finally {
                proxy.close(Duration.ZERO);
                for (Socket s : sockets) {
                    s.close();
                }
            }
            assertThat(Loopback.proxyThreads()).isEmpty();
            backend.assertNoFailures();
        }
    }

    @Test
    void closeWithoutDrainResetsTransfersInFlightNeverEndingThemCleanly() throws Exception {
        int n = 8;
        CountDownLatch done = new CountDownLatch(1);
        ConcurrentLinkedQueue<Object> backendEnds = new ConcurrentLinkedQueue<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    CompletableFuture<Object> w = Async.start("w", () -> {
                        try {
                            Payloads.write(socket.getOutputStream(), 1, 1L << 32);
                            return "wrote all";
                        } catch (IOException e) {
                            return e;
                        }
                    });
                    try {
                        Payloads.drain(socket.getInputStream(), Long.MAX_VALUE);
                        Object wrote = w.get(10, TimeUnit.SECONDS);
                        backendEnds.add(wrote instanceof IOException ? wrote : "clean EOF, writer: " + wrote);
                    } catch (IOException e) {
                        backendEnds.add(e);
                    }
                    done.await(20, TimeUnit.SECONDS);
                })) {
            RunningProxy proxy = builder().backend(backend.backend()).start();
            List<Socket> sockets = new ArrayList<>();
            List<CompletableFuture<Object>> ends = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    Socket s = Sockets.connect(proxy.localAddress());
                    sockets.add(s);
                    CompletableFuture<Object> w = Async.start("w", () -> {
                        try {
                            Payloads.write(s.getOutputStream(), 2, 1L << 32);
                            return "wrote all";
                        } catch (IOException e) {
                            return e;
                        }
                    });
                    // Linux reports a reset once, to whichever call comes first: the reader's
                    // clean EOF is a reset only if the writer got the error.
                    ends.add(Async.start("r", () -> {
                        try {
                            Payloads.drain(s.getInputStream(), Long.MAX_VALUE);
                            Object wrote = w.get(10, TimeUnit.SECONDS);
                            return wrote instanceof IOException ? wrote : "clean EOF, writer: " + wrote;
                        } catch (IOException e) {
                            return e;
                        }
                    }));
                }
                // Every connection relaying before the close, so that each has a backend connection.
                Await.until("every backend connection up", Duration.ofSeconds(10), () -> backend.connections() == n);
                proxy.awaitBytes(FlowDirection.BOTH, 10L << 20, Duration.ofSeconds(10));
                proxy.close(Duration.ZERO);
                for (CompletableFuture<Object> e : ends) {
                    assertThat(e.get(15, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
                }
                Await.until("backends saw the end", Duration.ofSeconds(10), () -> backendEnds.size() == n);
                assertThat(backendEnds).allSatisfy(e -> assertThat(e).isInstanceOf(IOException.class));
            } finally {
                done.countDown();
                proxy.close(Duration.ZERO);
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    // ---------------------------------------------------------------- chaos: abrupt ends mixed in

    /** How a chaos connection ends. */
    enum Ending { COMPLETE, CLIENT_RESET, BACKEND_RESET, CLIENT_CLOSES_EARLY }

    /** Reads to the end; returns the count, or the exception, after checking every byte is the seed's. */
    private static Object readChecked(InputStream in, long seed, long max) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] expected = new byte[65536];
        int expectedLeft = 0;
        int expectedPos = 0;
        byte[] buf = new byte[16384];
        long total = 0;
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                for (int i = 0; i < n; i++) {
                    if (expectedLeft == 0) {
                        random.nextBytes(expected);
                        expectedLeft = expected.length;
                        expectedPos = 0;
                    }
                    if (buf[i] != expected[expectedPos]) {
                        return new AssertionError("byte " + (total + i) + " differs");
                    }
                    expectedPos++;
                    expectedLeft--;
                }
                total += n;
                if (total > max) {
                    return new AssertionError("more than " + max + " bytes");
                }
            }
            return total;
        } catch (IOException e) {
            return e;
        }
    }

    private static Object writeQuietly(OutputStream out, long seed, long size) {
        try {
            Payloads.write(out, seed, size);
            return "wrote all";
        } catch (IOException e) {
            return e;
        }
    }

    @ParameterizedTest(name = "reactors={0}")
    @ValueSource(ints = {1, 2})
    void abruptEndsMixedWithTransfersNeverTruncateSilentlyAndLeaveNothing(int reactors) throws Exception {
        int n = 48;
        long size = 1L << 20;
        SplittableRandom r = new SplittableRandom(4242 + reactors);
        Ending[] endings = new Ending[n];
        long[] cutAt = new long[n];
        for (int i = 0; i < n; i++) {
            endings[i] = Ending.values()[r.nextInt(Ending.values().length)];
            cutAt[i] = r.nextLong(size / 2);
        }
        long fdsBefore = SoakTest.openDescriptors();
        Map<Long, CompletableFuture<Object>> backendRead = new ConcurrentHashMap<>();
        Map<Long, CompletableFuture<Object>> backendWrote = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<ConnectionSummary> summaries = new ConcurrentLinkedQueue<>();
        try (ScriptedServer backend = ScriptedServer.start(0, 256, socket -> {
                    DataInputStream in = new DataInputStream(socket.getInputStream());
                    int i = in.readInt();
                    CompletableFuture<Object> wrote = backendWrote.get((long) i);
                    if (endings[i] == Ending.BACKEND_RESET) {
                        CountingOut out = new CountingOut(socket.getOutputStream());
                        CompletableFuture<Object> w = Async.start("bw", () -> writeQuietly(out, 2L * i + 1, size));
                        Await.until("written enough", Duration.ofSeconds(10), () -> out.count >= cutAt[i] || w.isDone());
                        Sockets.reset(socket);
                        wrote.complete(new IOException("backend reset itself"));
                        backendRead.get((long) i).complete(new IOException("backend reset itself"));
                        w.get(10, TimeUnit.SECONDS);
                        return;
                    }
                    CompletableFuture<Object> w = Async.start("bw", () -> {
                        Object o = writeQuietly(socket.getOutputStream(), 2L * i + 1, size);
                        if (!(o instanceof IOException)) {
                            socket.shutdownOutput();
                        }
                        return o;
                    });
                    backendRead.get((long) i).complete(readChecked(in, 2L * i, size));
                    wrote.complete(w.get(20, TimeUnit.SECONDS));
                });
                RunningProxy proxy = builder().backend(backend.backend()).reactorThreads(reactors).bufferSize(4096)
                        .maxBufferMemory(4 * 4096).connectionListener(new ConnectionListener() {
                            @Override
                            public void closed(ConnectionSummary s) {
                                summaries.add(s);
                            }
                        }).start()) {
            NioProxy engine = (NioProxy) proxy;
            List<Socket> sockets = new ArrayList<>();
            List<CompletableFuture<Object>> clientRead = new ArrayList<>();
            List<CompletableFuture<Object>> clientWrote = new ArrayList<>();
            Map<Integer, Integer> byPort = new ConcurrentHashMap<>();
            try {
                for (int k = 0; k < n; k++) {
                    int i = k;
                    backendRead.put((long) i, new CompletableFuture<>());
                    backendWrote.put((long) i, new CompletableFuture<>());
                    Socket s = Sockets.connect(proxy.localAddress(), Duration.ofSeconds(20));
                    sockets.add(s);
                    byPort.put(s.getLocalPort(), i);
                    new DataOutputStream(s.getOutputStream()).writeInt(i);
                    CountingOut out = new CountingOut(s.getOutputStream());
                    CompletableFuture<Object> w = Async.start("cw", () -> {
                        Object o = writeQuietly(out, 2L * i, size);
                        if (!(o instanceof IOException) && endings[i] != Ending.CLIENT_RESET) {
                            s.shutdownOutput();
                        }
                        return o;
                    });
                    clientWrote.add(w);
                    if (endings[i] == Ending.CLIENT_RESET) {
                        clientRead.add(Async.start("cr", () -> {
                            Await.until("written enough", Duration.ofSeconds(10),
                                    () -> out.count >= cutAt[i] || w.isDone());
                            Sockets.reset(s);
                            return new IOException("client reset itself");
                        }));
                    } else if (endings[i] == Ending.CLIENT_CLOSES_EARLY) {
                        clientRead.add(Async.start("cr", () -> {
                            InputStream in = s.getInputStream();
                            byte[] b = new byte[4096];
                            long got = 0;
                            for (int m; got < cutAt[i] && (m = in.read(b)) >= 0; ) {
                                got += m;
                            }
                            s.close(); // unread data: the kernel sends a reset
                            return new IOException("client closed early");
                        }));
                    } else {
                        clientRead.add(Async.start("cr", () -> readChecked(s.getInputStream(), 2L * i + 1, size)));
                    }
                }
                for (int i = 0; i < n; i++) {
                    Object cr = clientRead.get(i).get(30, TimeUnit.SECONDS);
                    Object cw = clientWrote.get(i).get(30, TimeUnit.SECONDS);
                    Object br = backendRead.get((long) i).get(30, TimeUnit.SECONDS);
                    Object bw = backendWrote.get((long) i).get(30, TimeUnit.SECONDS);
                    String what = "connection " + i + " " + endings[i] + ": client read " + cr + ", client wrote " + cw
                            + ", backend read " + br + ", backend wrote " + bw;
                    assertThat(cr).as(what).isNotInstanceOf(AssertionError.class);
                    assertThat(br).as(what).isNotInstanceOf(AssertionError.class);
                    if (endings[i] == Ending.COMPLETE) {
                        assertThat(cr).as(what).isEqualTo(size);
                        assertThat(br).as(what).isEqualTo(size);
                    } else {
                        // A clean end on either side must be the whole stream, unless that side's
                        // own writer saw the reset first (Linux reports it once).
                        if (cr instanceof Long got && got != size) {
                            assertThat(cw).as("a truncated clean end at the client: " + what)
                                    .isInstanceOf(IOException.class);
                        }
                        // (A client that closes with nothing unread sends a FIN: a clean end, fine.)
                        if (br instanceof Long got && got != size && endings[i] != Ending.CLIENT_CLOSES_EARLY) {
                            assertThat(bw).as("a truncated clean end at the backend: " + what)
                                    .isInstanceOf(IOException.class);
                        }
                    }
                }
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            ProxyStats stats = Await.until("every connection ended", Duration.ofSeconds(10), proxy::stats,
                    st -> st.activeConnections() == 0 && summaries.size() == n);
            assertThat(stats.bufferedBytes()).isZero();
            assertThat(stats.bytesClientToBackend()).isEqualTo(
                    summaries.stream().mapToLong(ConnectionSummary::bytesClientToBackend).sum());
            assertThat(stats.bytesBackendToClient()).isEqualTo(
                    summaries.stream().mapToLong(ConnectionSummary::bytesBackendToClient).sum());
            for (ConnectionSummary sm : summaries) {
                int i = byPort.get(sm.client().getPort());
                if (endings[i] == Ending.COMPLETE) {
                    assertThat(sm.end()).as("%s", sm).isEqualTo(ConnectionSummary.End.COMPLETED);
                    assertThat(sm.bytesBackendToClient()).isEqualTo(size);
                    assertThat(sm.bytesClientToBackend()).isEqualTo(size + 4);
                }
            }
            for (Reactor rr : engine.reactors) {
                CompletableFuture<Integer> out = new CompletableFuture<>();
                rr.execute(() -> out.complete(rr.buffers.outstanding()));
                assertThat(out.get(5, TimeUnit.SECONDS)).isZero();
            }
            backend.assertNoFailures();
        }
        if (fdsBefore >= 0) {
            Await.until("descriptors back to " + fdsBefore, Duration.ofSeconds(20), SoakTest::openDescriptors,
                    c -> c <= fdsBefore + 2);
        }
    }

    // ---------------------------------------------------------------- limitData is exact

    @ParameterizedTest(name = "bufferSize={0}")
    @ValueSource(ints = {1024, 65536})
    void limitDataPassesExactlyThatManyBytesThenAnOrderlyEnd(int bufferSize) throws Exception {
        SplittableRandom r = new SplittableRandom(bufferSize);
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    socket.getInputStream().read();
                    writeQuietly(socket.getOutputStream(), 9, 4L << 20);
                });
                RunningProxy proxy = builder().backend(backend.backend()).bufferSize(bufferSize)
                        .maxBufferMemory(2L * bufferSize).start()) {
            for (int round = 0; round < 8; round++) {
                long limit = round == 0 ? 0 : round == 1 ? 1 : r.nextLong(1 << 20);
                try (FaultHandle f = proxy.addFault(Faults.limitData(limit),
                        FaultTarget.all().newConnections().direction(FlowDirection.BACKEND_TO_CLIENT));
                        Socket c = new Socket()) {
                    c.setReceiveBufferSize(4096);
                    c.connect(proxy.localAddress(), 5000);
                    c.setSoTimeout(10_000);
                    c.getOutputStream().write(1);
                    Object got = readChecked(round % 2 == 0 ? c.getInputStream()
                            : Payloads.slow(c.getInputStream(), 8192, Duration.ofNanos(100_000)), 9, limit);
                    assertThat(got).as("limit %d", limit).isEqualTo(limit);
                }
            }
            Await.until("closed", Duration.ofSeconds(5), () -> proxy.stats().activeConnections() == 0);
        }
    }

    // ---------------------------------------------------------------- a client that ends before the backend is up

    @Test
    void aClientThatSendsAndHalfClosesAtOnceStillGetsItsWholeAnswer() throws Exception {
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    Payloads.Received got = Payloads.drain(socket.getInputStream(), 1 << 20);
                    new DataOutputStream(socket.getOutputStream()).writeLong(got.bytes());
                    Payloads.write(socket.getOutputStream(), 12, 2L << 20);
                });
                RunningProxy proxy = builder().backend(backend.backend()).bufferSize(1024).maxBufferMemory(1024)
                        .start()) {
            for (int round = 0; round < 20; round++) {
                try (Socket c = Sockets.connect(proxy.localAddress())) {
                    byte[] req = Payloads.random(round * 37, round);
                    c.getOutputStream().write(req);
                    c.shutdownOutput();
                    assertThat(new DataInputStream(c.getInputStream()).readLong()).isEqualTo(req.length);
                    assertThat(Payloads.drain(c.getInputStream(), 4L << 20))
                            .isEqualTo(new Payloads.Received(2L << 20, Payloads.sha256(12, 2L << 20)));
                }
            }
            Await.until("closed", Duration.ofSeconds(5), () -> proxy.stats().activeConnections() == 0);
            backend.assertNoFailures();
        }
    }

    /** An OutputStream that counts what it wrote, for a writer on another thread. */
    static final class CountingOut extends FilterOutputStream {
        volatile long count;

        CountingOut(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
