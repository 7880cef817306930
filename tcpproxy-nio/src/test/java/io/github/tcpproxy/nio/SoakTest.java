package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Soak: many verified echo sessions through the proxy while backends are killed and restarted.
 * Every session must either complete byte-exact or end cleanly early (a reset or EOF after an
 * exact prefix of what was sent: its backend was killed, or none was up); never a wrong byte,
 * never a hang. Afterwards no connection, buffer, per-client entry or descriptor is left.
 *
 * <p>Runs {@value #DEFAULT_SECONDS} s by default; {@code -Dtcpproxy.soak.seconds=300} runs longer.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class SoakTest {
    private static final int DEFAULT_SECONDS = 20;
    private static final int CLIENT_THREADS = 8;
    private static final int BACKENDS = 3;
    private static final int MAX_PAYLOAD = 48 * 1024;

    private final AtomicLong sessions = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong cut = new AtomicLong();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    @Test
    void thousandsOfSessionsWhileBackendsDieAndComeBackLeakNothing() throws Exception {
        long seconds = Long.getLong("tcpproxy.soak.seconds", DEFAULT_SECONDS);
        // Warm up first: the JDK keeps a few descriptors of its own once sockets, selectors and
        // closing have been used (JDK 17: a socket pair for closing), and classes get loaded.
        try (EchoServer echo = EchoServer.start();
                RunningProxy warm = Loopback.proxyTo(echo).start();
                Socket s = Sockets.connect(warm.localAddress())) {
            EchoServer.assertEchoes(s, new byte[] {1});
        }
        long descriptorsBefore = openDescriptors();
        AtomicReferenceArray<EchoServer> backends = new AtomicReferenceArray<>(BACKENDS);
        int[] ports = new int[BACKENDS];
        for (int i = 0; i < BACKENDS; i++) {
            backends.set(i, EchoServer.start(0, 256, null));
            ports[i] = backends.get(i).port();
        }
        ExecutorService pool = Executors.newFixedThreadPool(CLIENT_THREADS + 1);
        RunningProxy proxy = Loopback.proxyTo(backends.get(0), backends.get(1), backends.get(2))
                .reactorThreads(2)
                .connectTimeout(Duration.ofSeconds(2))
                .connectAttempts(BACKENDS)
                .idleTimeout(Duration.ofSeconds(20))
                .maxConnectionsPerClient(1000)
                .bufferSize(16 * 1024)
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            List<Future<?>> clients = new ArrayList<>();
            for (int t = 0; t < CLIENT_THREADS; t++) {
                long seed = t;
                clients.add(pool.submit(() -> runSessions(proxy, deadline, seed)));
            }
            Future<Integer> chaos = pool.submit(() -> killAndRestart(backends, ports, deadline));
            for (Future<?> c : clients) {
                c.get(seconds + 120, TimeUnit.SECONDS);
            }
            int kills = chaos.get(120, TimeUnit.SECONDS);

            assertThat(failures).as("sessions that went wrong").isEmpty();
            assertThat(kills).as("backend kills").isPositive();
            assertThat(completed.get()).as("byte-exact sessions of %d (cut: %d)", sessions.get(), cut.get())
                    .isGreaterThan(sessions.get() / 2);

            NioProxy nio = (NioProxy) proxy;
            ProxyStats stats = Await.until("every connection ended", Duration.ofSeconds(30), proxy::stats,
                    s -> s.activeConnections() == 0 && s.bufferedBytes() == 0);
            assertThat(stats.totalConnections()).isGreaterThanOrEqualTo(sessions.get());
            for (BackendStatus b : stats.backends()) {
                assertThat(b.activeConnections() + b.inactiveConnections()).as("open on %s", b.address()).isZero();
            }
            for (Reactor r : nio.reactors) {
                CompletableFuture<Integer> outstanding = new CompletableFuture<>();
                r.execute(() -> outstanding.complete(r.buffers.outstanding()));
                assertThat(outstanding.get(10, TimeUnit.SECONDS)).as("buffers held on reactor %d", r.index).isZero();
            }
            assertThat(nio.admission.trackedAddresses()).as("per-client entries").isZero();
            System.out.printf("soak: %d s, %d sessions, %d byte-exact, %d cut by %d backend kills, %s%n",
                    seconds, sessions.get(), completed.get(), cut.get(), kills, stats.withoutBackends());
        } finally {
            proxy.close();
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < BACKENDS; i++) {
                EchoServer b = backends.get(i);
                if (b != null) {
                    b.close();
                }
            }
        }
        if (descriptorsBefore >= 0) {
            // Closed sockets may take a moment to leave /proc; a leak would stay.
            Await.until("descriptors back to " + descriptorsBefore, Duration.ofSeconds(30),
                    SoakTest::openDescriptors, n -> n <= descriptorsBefore + 2);
        }
    }

    private void runSessions(RunningProxy proxy, long deadline, long seed) {
        Random random = new Random(seed);
        byte[] buf = new byte[MAX_PAYLOAD];
        for (int i = 0; i < 1_000_000 && System.nanoTime() - deadline < 0; i++) {
            byte[] payload = Payloads.random(1 + random.nextInt(MAX_PAYLOAD), random.nextLong());
            sessions.incrementAndGet();
            int got = 0;
            try (Socket s = Sockets.connect(proxy.localAddress())) {
                s.getOutputStream().write(payload);
                InputStream in = s.getInputStream();
                while (got < payload.length) {
                    int n = in.read(buf, got, payload.length - got);
                    if (n < 0) {
                        break;
                    }
                    got += n;
                }
                if (!Arrays.equals(buf, 0, got, payload, 0, got)) {
                    failures.add("session " + seed + "/" + i + ": wrong bytes within the first " + got);
                    continue;
                }
                if (got < payload.length) {
                    cut.incrementAndGet();
                    continue;
                }
                s.shutdownOutput();
                int end = in.read();
                if (end != -1) {
                    failures.add("session " + seed + "/" + i + ": read " + end + " after the echo, not the end");
                } else {
                    completed.incrementAndGet();
                }
            } catch (SocketTimeoutException e) {
                failures.add("session " + seed + "/" + i + ": hung after " + got + " of " + payload.length + " bytes");
            } catch (IOException e) {
                // A reset after an exact prefix: cut cleanly (its backend was killed).
                if (!Arrays.equals(buf, 0, got, payload, 0, got)) {
                    failures.add("session " + seed + "/" + i + ": wrong bytes before " + e);
                } else {
                    cut.incrementAndGet();
                }
            }
        }
    }

    /** Kills a backend after every so many sessions and brings it back on its port after some more. */
    private int killAndRestart(AtomicReferenceArray<EchoServer> backends, int[] ports, long deadline) {
        int kills = 0;
        for (int round = 0; round < 100_000 && System.nanoTime() - deadline < 0; round++) {
            long target = sessions.get() + 150;
            if (!progressed(target, deadline)) {
                break;
            }
            int victim = round % BACKENDS;
            backends.getAndSet(victim, null).close();
            kills++;
            // Down for a while: some clients are retried on the others, some cut mid-session.
            progressed(sessions.get() + 50, deadline);
            int port = ports[victim];
            backends.set(victim, Await.success("backend " + victim + " back on port " + port, Duration.ofSeconds(30),
                    () -> EchoServer.start(port, 256, null)));
        }
        return kills;
    }

    /** Waits until {@code target} sessions have started or the deadline passed; true for the former. */
    private boolean progressed(long target, long deadline) {
        long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        try {
            Await.until("session " + target, Duration.ofMillis(left), () -> sessions.get() >= target);
            return true;
        } catch (AssertionError deadlinePassed) {
            return false;
        }
    }

    /** Open file descriptors of this process (Linux), or -1 where that cannot be read. */
    static long openDescriptors() {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1;
        }
        try (Stream<Path> list = Files.list(fds)) {
            return list.count();
        } catch (IOException e) {
            return -1;
        }
    }
}
