package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fast writer and a slow reader: the proxy stops reading instead of buffering, so its memory
 * stays within 2 x bufferSize per connection, and the bytes still arrive intact.
 */
@Timeout(60)
class SlowReaderTest {
    private static final int BUFFER_SIZE = 16 * 1024;
    private static final long SIZE = 8L << 20;
    /** Bounds on the sampling loop, on top of the end of the transfer. */
    private static final int MAX_SAMPLES = 2_000_000;
    private static final Duration MAX_SAMPLING = Duration.ofSeconds(50);

    /** What the sampler saw of {@link ProxyStats#bufferedBytes()}. */
    private record Samples(int count, int positive, long max) {
    }

    @Test
    void buffersAtMostTwoBuffersPerConnectionWhileTheBackendReadsSlowly() throws Exception {
        CompletableFuture<Payloads.Received> backendGot = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    // A fixed receive buffer (no autotuning), yet above loopback's 64 KiB MSS: a
                    // window smaller than one segment makes Linux send only on ~40 ms timers.
                    socket.setReceiveBufferSize(256 * 1024);
                    backendGot.complete(Payloads.drain(
                            Payloads.slow(socket.getInputStream(), 8 * 1024, Duration.ofMillis(1)), 2 * SIZE));
                });
                RunningProxy proxy = Loopback.proxyTo(backend).bufferSize(BUFFER_SIZE).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            AtomicBoolean done = new AtomicBoolean();
            CompletableFuture<Samples> sampler = Async.start("stats-sampler", () -> {
                int count = 0;
                int positive = 0;
                long max = 0;
                long deadline = System.nanoTime() + MAX_SAMPLING.toNanos();
                while (!done.get() && count < MAX_SAMPLES && System.nanoTime() < deadline) {
                    long buffered = proxy.stats().bufferedBytes();
                    count++;
                    max = Math.max(max, buffered);
                    if (buffered > 0) {
                        positive++;
                    }
                    LockSupport.parkNanos(100_000); // the sampling rate, not a wait for anything
                }
                return new Samples(count, positive, max);
            });

            String sent = Payloads.write(client.getOutputStream(), 51, SIZE);
            client.shutdownOutput();
            Payloads.Received got = backendGot.get(40, TimeUnit.SECONDS);
            done.set(true);
            Samples samples = sampler.get(10, TimeUnit.SECONDS);

            assertThat(got).isEqualTo(new Payloads.Received(SIZE, sent));
            assertThat(samples.max()).as("most bytes buffered at once, over %s samples", samples.count())
                    .isLessThanOrEqualTo(2L * BUFFER_SIZE);
            assertThat(samples.positive()).as("samples with bytes buffered (backpressure engaged), of %s",
                    samples.count()).isPositive();
            assertThat(client.getInputStream().read()).as("end of stream once the backend closed").isEqualTo(-1);
            ProxyStats stats = Await.until("the connection ended", Duration.ofSeconds(5),
                    proxy::stats, s -> s.activeConnections() == 0);
            assertThat(stats.bufferedBytes()).as("bytes buffered once the connection ended").isZero();
            backend.assertNoFailures();
        }
    }
}
