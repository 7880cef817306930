package io.github.tcpproxy.nio;

import static io.github.tcpproxy.nio.FaultShapingTest.millisSince;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.fault.Ending;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.fault.FlowDirection;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Faults that stop data or end connections: limit-data, timeout, close/reset-after, slow close, freeze. */
@Timeout(60)
class FaultEndingTest {

    /**
     * A backend that waits for one byte from the client (so that the client is surely connected
     * before anything can end the connection), sends {@code size} bytes of seed 20 and then waits
     * for the client to end.
     */
    private static ScriptedServer streaming(long size) {
        return ScriptedServer.start(socket -> {
            try {
                socket.getInputStream().read();
                Payloads.write(socket.getOutputStream(), 20, size);
                socket.getInputStream().read();
            } catch (IOException expected) {
                // the fault ended the connection
            }
        });
    }

    @Test
    void limitDataDeliversExactlyThatManyBytesThenCloses() throws Exception {
        try (ScriptedServer backend = streaming(100_000);
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                FaultHandle limit = proxy.addFault(Faults.limitData(1000),
                        FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT));
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(0);
            byte[] got = Payloads.readToEof(client.getInputStream(), 100_000);
            assertThat(got).hasSize(1000);
            assertThat(Payloads.sha256(got)).isEqualTo(Payloads.sha256(20, 1000));
            proxy.awaitOpenConnections(0, Duration.ofSeconds(10));
        }
    }

    @Test
    void limitDataWithResetResetsTheClient() throws Exception {
        try (ScriptedServer backend = streaming(100_000);
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                FaultHandle limit = proxy.addFault(Faults.limitData(1000, Ending.RESET),
                        FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT));
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(0);
            Received r = readUntilEnd(client.getInputStream());
            assertThat(r.bytes).as("bytes before the reset").isLessThanOrEqualTo(1000);
            assertThat(r.end).isInstanceOf(SocketException.class);
        }
    }

    @Test
    void blackHolePassesNothingAndLosesNothingOnceRemoved() throws Exception {
        byte[] payload = Payloads.random(5000, 21);
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                Socket client = Sockets.connect(proxy.localAddress(), Duration.ofMillis(300))) {
            EchoServer.assertEchoes(client, new byte[] {1});
            FaultHandle hole = proxy.addFault(Faults.blackHole(), FaultTarget.all().direction(FlowDirection.CLIENT_TO_BACKEND));
            client.getOutputStream().write(payload);
            assertThat(Sockets.readOutcome(client)).as("nothing comes back while the hole is there")
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(proxy.stats().bytesClientToBackend()).isEqualTo(1);
            hole.close();
            client.setSoTimeout(10_000);
            assertThat(Payloads.readFully(client.getInputStream(), payload.length)).isEqualTo(payload);
        }
    }

    @Test
    void timeoutClosesAfterItsTime() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                FaultHandle timeout = proxy.addFault(Faults.timeout(Duration.ofMillis(300)));
                Socket client = Sockets.connect(proxy.localAddress())) {
            long start = System.nanoTime();
            client.getOutputStream().write(Payloads.random(100, 22));
            assertThat(client.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(300 - 50); // the timer started at accept
        }
    }

    @ParameterizedTest
    @EnumSource(Ending.class)
    void closeAfterAndResetAfterEndAConnectionWhileDataFlows(Ending ending) throws Exception {
        try (ScriptedServer backend = streaming(Long.MAX_VALUE / 2);
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                FaultHandle end = proxy.addFault(ending == Ending.CLOSE ? Faults.closeAfter(Duration.ofMillis(300))
                        : Faults.resetAfter(Duration.ofMillis(300)));
                Socket client = Sockets.connect(proxy.localAddress())) {
            long start = System.nanoTime();
            client.getOutputStream().write(0);
            Received r = readUntilEnd(client.getInputStream());
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(300 - 50); // the timer started at accept
            if (ending == Ending.CLOSE) {
                assertThat(r.bytes).as("data flowed before the end").isPositive();
                assertThat(r.end).as("an orderly end").isNull();
            } else {
                assertThat(r.end).as("a reset").isInstanceOf(SocketException.class);
            }
        }
    }

    @Test
    void slowCloseDelaysTheFin() throws Exception {
        CompletableFuture<Long> finSeen = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    Payloads.readToEof(socket.getInputStream(), 1000);
                    finSeen.complete(System.nanoTime());
                });
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                FaultHandle slow = proxy.addFault(Faults.slowClose(Duration.ofMillis(300)),
                        FaultTarget.all().direction(FlowDirection.CLIENT_TO_BACKEND));
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(new byte[10]);
            long sent = System.nanoTime();
            client.shutdownOutput();
            long seen = finSeen.get(10, TimeUnit.SECONDS);
            assertThat(TimeUnit.NANOSECONDS.toMillis(seen - sent)).isGreaterThanOrEqualTo(300);
        }
    }

    @Test
    void freezeThenUnfreezeLosesNoByte() throws Exception {
        long size = 64L << 20; // more than the socket buffers on both sides can hold
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(client, new byte[] {1});
            // The counters are updated just after the write that the client saw: wait for them.
            proxy.awaitBytes(FlowDirection.BOTH, 2, Duration.ofSeconds(10));
            long before = proxy.stats().bytesClientToBackend() + proxy.stats().bytesBackendToClient();
            FaultHandle freeze = proxy.addFault(Faults.freeze());
            CompletableFuture<String> writer = Async.start("freeze-writer", () -> {
                String sha = Payloads.write(client.getOutputStream(), 23, size);
                client.shutdownOutput();
                return sha;
            });
            CompletableFuture<Payloads.Received> reader = Async.start("reader",
                    () -> Payloads.drain(client.getInputStream(), 2 * size));
            // The writer fills the socket buffers and blocks: the frozen proxy holds one buffer and reads no more.
            Await.until("the writer is writing", Duration.ofSeconds(10), () -> isWriting(writer));
            long during = proxy.stats().bytesClientToBackend() + proxy.stats().bytesBackendToClient();
            assertThat(during).as("bytes passed while frozen").isEqualTo(before);
            assertThat(proxy.stats().activeConnections()).as("still open").isEqualTo(1);
            assertThat(proxy.stats().bufferedBytes()).as("held: at most one buffer per direction")
                    .isLessThanOrEqualTo(2 * 64 * 1024);
            freeze.close();
            assertThat(reader.get(30, TimeUnit.SECONDS))
                    .isEqualTo(new Payloads.Received(size, writer.get(30, TimeUnit.SECONDS)));
        }
    }

    private static boolean isWriting(CompletableFuture<String> writer) {
        if (writer.isDone()) {
            throw new AssertionError("the writer finished while the proxy was frozen");
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("freeze-writer")) {
                for (StackTraceElement e : t.getStackTrace()) {
                    if (e.getMethodName().contains("write") && e.getClassName().contains("Socket")) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** What a client read until end of stream or a failure. */
    private record Received(long bytes, IOException end) {
    }

    private static Received readUntilEnd(InputStream in) {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        long total = 0;
        try {
            for (int r; (r = in.read(buf)) >= 0; ) {
                total += r;
                if (total < 1 << 20) {
                    sink.write(buf, 0, r);
                }
            }
            return new Received(total, null);
        } catch (IOException e) {
            return new Received(total, e);
        }
    }
}
