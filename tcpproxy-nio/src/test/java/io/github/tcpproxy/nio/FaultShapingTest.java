package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.fault.ConnectionFault;
import io.github.tcpproxy.fault.Fault;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.fault.FlowDirection;
import io.github.tcpproxy.fault.Jitter;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Faults that hold data back measured through real sockets: latency, bandwidth, slicer, custom ones. */
@Timeout(60)
class FaultShapingTest {

    @Test
    void latencyDelaysEachRoundTrip() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(client, new byte[] {1}); // connected, before the fault
            try (FaultHandle latency = proxy.addFault(Faults.latency(Duration.ofMillis(200)),
                    FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT))) {
                long start = System.nanoTime();
                EchoServer.assertEchoes(client, Payloads.random(100, 1));
                assertThat(millisSince(start)).as("round trip with 200 ms latency one way").isGreaterThanOrEqualTo(200);

                start = System.nanoTime();
                EchoServer.assertEchoes(client, Payloads.random(100, 2));
                assertThat(millisSince(start)).as("and the next one too").isGreaterThanOrEqualTo(200);
            }
            // Removed: nothing held back any more, the data still arrives whole.
            EchoServer.assertEchoes(client, Payloads.random(100, 3));
            echo.assertNoFailures();
        }
    }

    @Test
    void latencyBothWaysAddsUp() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                FaultHandle latency = proxy.addFault(Faults.latency(Duration.ofMillis(150)));
                Socket client = Sockets.connect(proxy.localAddress())) {
            long start = System.nanoTime();
            EchoServer.assertEchoes(client, Payloads.random(10, 4));
            assertThat(millisSince(start)).as("round trip with 150 ms each way").isGreaterThanOrEqualTo(300);
        }
    }

    @Test
    void latencyWithJitterKeepsTheOrderAndEveryByte() throws Exception {
        byte[] payload = Payloads.random(512 * 1024, 5);
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).bufferSize(16 * 1024).start();
                FaultHandle latency = proxy.addFault(Faults.latency(Duration.ofMillis(5), Duration.ofMillis(5),
                        Jitter.NORMAL), FaultTarget.all().seed(7));
                Socket client = Sockets.connect(proxy.localAddress())) {
            CompletableFuture<Void> writer = Async.start("writer", () -> {
                client.getOutputStream().write(payload);
                client.shutdownOutput();
                return null;
            });
            byte[] back = Payloads.readToEof(client.getInputStream(), payload.length);
            writer.get(30, TimeUnit.SECONDS);
            assertThat(Payloads.sha256(back)).isEqualTo(Payloads.sha256(payload));
        }
    }

    @Test
    void bandwidthOfOneMiBPerSecondTakesAtLeastOnePointEightSecondsForTwoMiB() throws Exception {
        long size = 2L << 20;
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    Payloads.write(socket.getOutputStream(), 8, size);
                    socket.shutdownOutput();
                });
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                FaultHandle bandwidth = proxy.addFault(Faults.bandwidth(1 << 20),
                        FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT));
                Socket client = Sockets.connect(proxy.localAddress())) {
            long start = System.nanoTime();
            Payloads.Received got = Payloads.drain(client.getInputStream(), 2 * size);
            long millis = millisSince(start);
            assertThat(got).isEqualTo(new Payloads.Received(size, Payloads.sha256(8, size)));
            assertThat(millis).as("2 MiB at 1 MiB/s").isGreaterThanOrEqualTo(1800);
            backend.assertNoFailures();
        }
    }

    @Test
    void slicerCutsTheDataAndWaitsBetweenSlices() throws Exception {
        byte[] answer = Payloads.random(1000, 9);
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    socket.getOutputStream().write(answer);
                    socket.shutdownOutput();
                });
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                FaultHandle slicer = proxy.addFault(Faults.slicer(100, 20, Duration.ofMillis(20)),
                        FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT));
                Socket client = Sockets.connect(proxy.localAddress())) {
            long start = System.nanoTime();
            byte[] got = Payloads.readToEof(client.getInputStream(), 2000);
            assertThat(got).isEqualTo(answer);
            // At least 1000 / 120 = 8.3, so 9 slices: 8 pauses of 20 ms between them.
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(8 * 20);
        }
    }

    @Test
    void halfCloseWaitsBehindDelayedData() throws Exception {
        byte[] request = Payloads.random(64 * 1024, 10);
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                FaultHandle latency = proxy.addFault(Faults.latency(Duration.ofMillis(100)));
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(request);
            client.shutdownOutput();
            byte[] back = Payloads.readToEof(client.getInputStream(), 2 * request.length);
            assertThat(back).as("every byte, then the end of stream").isEqualTo(request);
            echo.assertNoFailures();
        }
    }

    @Test
    void aResetPassesThroughAFaultThatHoldsData() throws Exception {
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    socket.getInputStream().read();
                    Sockets.reset(socket);
                });
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                FaultHandle latency = proxy.addFault(Faults.latency(Duration.ofMillis(50)));
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(1);
            assertThat(Sockets.readOutcome(client)).isInstanceOf(SocketException.class);
        }
    }

    @Test
    void addingAndRemovingFaultsWhileManySessionsStreamLosesNoByte() throws Exception {
        int sessions = 20;
        long size = 1L << 20;
        try (EchoServer echo = EchoServer.start(0, 2 * sessions, null);
                RunningProxy proxy = Loopback.proxyTo(echo).bufferSize(16 * 1024).start()) {
            List<Socket> clients = new ArrayList<>();
            List<CompletableFuture<String>> writers = new ArrayList<>();
            List<CompletableFuture<Payloads.Received>> readers = new ArrayList<>();
            try {
                for (int i = 0; i < sessions; i++) {
                    Socket client = Sockets.connect(proxy.localAddress());
                    clients.add(client);
                    long seed = 100 + i;
                    writers.add(Async.start("writer-" + i, () -> {
                        String sha = Payloads.write(client.getOutputStream(), seed, size);
                        client.shutdownOutput();
                        return sha;
                    }));
                    readers.add(Async.start("reader-" + i, () -> Payloads.drain(client.getInputStream(), 2 * size)));
                }
                proxy.awaitBytes(FlowDirection.BACKEND_TO_CLIENT, sessions * size / 8, Duration.ofSeconds(30));
                try (FaultHandle slicer = proxy.addFault(Faults.slicer(1000, 500, Duration.ofMillis(1)),
                                FaultTarget.all().direction(FlowDirection.CLIENT_TO_BACKEND));
                        FaultHandle latency = proxy.addFault(Faults.latency(Duration.ofMillis(2)),
                                FaultTarget.all().everyNth(2));
                        FaultHandle bandwidth = proxy.addFault(Faults.bandwidth(4 << 20),
                                FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT))) {
                    long before = proxy.stats().bytesBackendToClient();
                    // Some bytes pass under the faults (unless everything passed already).
                    proxy.awaitBytes(FlowDirection.BACKEND_TO_CLIENT, Math.min(before + 64 * 1024, sessions * size),
                            Duration.ofSeconds(30));
                    FaultHandle freeze = proxy.addFault(Faults.freeze(), FaultTarget.all().first(5));
                    freeze.close();
                }
                for (int i = 0; i < sessions; i++) {
                    assertThat(readers.get(i).get(60, TimeUnit.SECONDS)).as("session %d", i)
                            .isEqualTo(new Payloads.Received(size, writers.get(i).get(60, TimeUnit.SECONDS)));
                }
            } finally {
                for (Socket client : clients) {
                    client.close();
                }
            }
            proxy.awaitOpenConnections(0, Duration.ofSeconds(10));
            assertThat(proxy.stats().bufferedBytes()).isZero();
            echo.assertNoFailures();
        }
    }

    @Test
    void aCustomFaultKeepsStatePerConnection() throws Exception {
        AtomicLong calls = new AtomicLong();
        // Lets at most 10 bytes through per call and counts the calls for its connection.
        Fault tiny = connection -> new ConnectionFault() {
            private long mine;

            @Override
            public int allow(FlowDirection flow, int available, long readNanos) {
                mine++;
                return Math.min(available, 10);
            }

            @Override
            public void stop() {
                calls.addAndGet(mine);
            }
        };
        byte[] payload = Payloads.random(1000, 11);
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start()) {
            try (FaultHandle handle = proxy.addFault(tiny, FaultTarget.all().direction(FlowDirection.CLIENT_TO_BACKEND));
                    Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, payload);
            }
            assertThat(calls.get()).as("calls of allow for 1000 bytes, 10 at a time").isGreaterThanOrEqualTo(100);
        }
    }

    static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
