package io.github.tcpproxy.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class TcpProxyMetricsTest {

    @Test
    void metersReadTheProxysCountersByName() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (EchoServer echo = EchoServer.start();
                EchoServer later = EchoServer.start();
                RunningProxy proxy = proxyTo(echo).deny("127.0.0.2").start()) {
            TcpProxyMetrics metrics = new TcpProxyMetrics(proxy, Tags.of("proxy", "test"));
            metrics.bindTo(registry);
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, Payloads.random(1000, 1));
                Await.until("the gauge sees the open connection", Duration.ofSeconds(5),
                        () -> registry.get("tcpproxy.connections.active").tag("proxy", "test").gauge().value() == 1);
            }
            Await.until("the connection ended", Duration.ofSeconds(5),
                    () -> registry.get("tcpproxy.connections.active").gauge().value() == 0);
            assertThat(registry.get("tcpproxy.connections").functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("tcpproxy.bytes").tag("direction", "client_to_backend").functionCounter().count())
                    .isEqualTo(1000);
            assertThat(registry.get("tcpproxy.connections.refused").tag("reason", "denied").functionCounter().count())
                    .isZero();
            assertThat(registry.get("tcpproxy.buffer.waits").functionCounter().count()).isZero();
            String backend = "127.0.0.1:" + echo.port();
            assertThat(registry.get("tcpproxy.backend.connections").tag("backend", backend).functionCounter().count())
                    .isEqualTo(1);
            assertThat(registry.get("tcpproxy.backend.up").tag("backend", backend).gauge().value()).isEqualTo(1);

            // No bindTo again: a read of any meter against a newer snapshot (they are reused for
            // 100 ms) registers the added backend's meters and removes the removed one's.
            String added = "127.0.0.1:" + later.port();
            proxy.addBackend(Backend.of(later.address()));
            Await.until("the added backend's meters", Duration.ofSeconds(5),
                    () -> read(registry)
                            && registry.find("tcpproxy.backend.weight").tag("backend", added).gauge() != null);
            assertThat(registry.get("tcpproxy.backend.weight").tag("backend", added).gauge().value()).isEqualTo(1);
            assertThat(registry.get("tcpproxy.backend.connections").tag("backend", added).functionCounter().count())
                    .isZero();

            proxy.removeBackend(echo.address());
            Await.until("the removed backend's meters gone", Duration.ofSeconds(5),
                    () -> read(registry)
                            && registry.find("tcpproxy.backend.up").tag("backend", backend).meters().isEmpty());
            assertThat(registry.find("tcpproxy.backend.bytes").tag("backend", backend).meters()).isEmpty();
            assertThat(registry.get("tcpproxy.backend.up").tag("backend", added).gauge().value()).isEqualTo(1);

            // Added back: its meters come back.
            proxy.addBackend(Backend.of(echo.address()));
            Await.until("the re-added backend's meters", Duration.ofSeconds(5),
                    () -> read(registry)
                            && registry.find("tcpproxy.backend.up").tag("backend", backend).gauge() != null);
            assertThat(registry.get("tcpproxy.backend.up").tag("backend", backend).gauge().value()).isEqualTo(1);
        }
    }

    /**
     * Two proxies bound with the same tags: the registry handed the second binder the first one's
     * meters, so the second proxy's figures were never seen, silently.
     */
    @Test
    void aSecondProxyWithTheSameTagsIsRefusedNotSilentlyMerged() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (EchoServer echo = EchoServer.start();
                RunningProxy first = proxyTo(echo).start();
                RunningProxy second = proxyTo(echo).start()) {
            TcpProxyMetrics firstMetrics = new TcpProxyMetrics(first, Tags.of("proxy", "one"));
            firstMetrics.bindTo(registry);
            firstMetrics.bindTo(registry); // again: its own meters, fine
            assertThatThrownBy(() -> new TcpProxyMetrics(second, Tags.of("proxy", "one")).bindTo(registry))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("tags [tag(proxy=one)] are registered already");
            new TcpProxyMetrics(second, Tags.of("proxy", "two")).bindTo(registry);
            assertThat(registry.find("tcpproxy.connections.active").gauges()).hasSize(2);
        }
    }

    /** A proxy restarted: close() the old binder, and the new one binds with the same tags. */
    @Test
    void closingABinderRemovesItsMetersSoAnotherCanTakeItsTags() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (EchoServer echo = EchoServer.start()) {
            try (RunningProxy old = proxyTo(echo).start()) {
                TcpProxyMetrics metrics = new TcpProxyMetrics(old, Tags.of("proxy", "db"));
                metrics.bindTo(registry);
                assertThat(registry.find("tcpproxy.backend.connections").functionCounters()).hasSize(1);
                metrics.close();
                metrics.close(); // harmless
                assertThat(registry.getMeters()).as("meters left after close()").isEmpty();
                assertThatThrownBy(() -> metrics.bindTo(registry)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("closed");
            }
            try (RunningProxy restarted = proxyTo(echo).start();
                    Socket client = Sockets.connect(restarted.localAddress())) {
                new TcpProxyMetrics(restarted, Tags.of("proxy", "db")).bindTo(registry);
                EchoServer.assertEchoes(client, new byte[] {1});
                // Snapshots serve 100 ms: wait for one taken after the connection.
                Await.until("the restarted proxy's count read", Duration.ofSeconds(5),
                        () -> registry.get("tcpproxy.connections").functionCounter().count() == 1.0);
            }
        }
    }

    /**
     * A registry with common tags (as Spring Boot sets them) adds them to every meter's id, so a
     * check comparing tags never saw the first proxy's meters: the second got them, silently.
     */
    @Test
    void aSecondProxyWithTheSameTagsIsRefusedAlsoUnderCommonTags() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        registry.config().commonTags("application", "shop");
        try (EchoServer echo = EchoServer.start();
                RunningProxy first = proxyTo(echo).start();
                RunningProxy second = proxyTo(echo).start()) {
            new TcpProxyMetrics(first, Tags.of("proxy", "one")).bindTo(registry);
            assertThatThrownBy(() -> new TcpProxyMetrics(second, Tags.of("proxy", "one")).bindTo(registry))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("registered already");
            new TcpProxyMetrics(second, Tags.of("proxy", "two")).bindTo(registry);
        }
    }

    /** The registry's listener kept a closed binder, and with it its proxy, for ever. */
    @Test
    void aClosedBinderIsNotKeptByTheRegistry() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        WeakReference<TcpProxyMetrics> closed;
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = proxyTo(echo).start()) {
            TcpProxyMetrics metrics = new TcpProxyMetrics(proxy, Tags.of("proxy", "db"));
            metrics.bindTo(registry);
            metrics.close();
            closed = new WeakReference<>(metrics);
            metrics = null;
        }
        for (int i = 0; i < 20 && closed.get() != null; i++) {
            System.gc();
        }
        assertThat(closed.get()).as("a closed binder after System.gc(), its registry still in use").isNull();
        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void everyRegistryBoundToGetsTheBackendMetersOnce() throws Exception {
        MeterRegistry first = new SimpleMeterRegistry();
        MeterRegistry second = new SimpleMeterRegistry();
        try (EchoServer echo = EchoServer.start();
                EchoServer later = EchoServer.start();
                RunningProxy proxy = proxyTo(echo).start()) {
            TcpProxyMetrics metrics = new TcpProxyMetrics(proxy);
            metrics.bindTo(first);
            read(first);
            metrics.bindTo(second); // after the first registry's meters matched the same backends
            metrics.bindTo(second);
            String backend = "127.0.0.1:" + echo.port();
            for (MeterRegistry registry : List.of(first, second)) {
                assertThat(registry.find("tcpproxy.backend.up").tag("backend", backend).meters()).hasSize(1);
                assertThat(registry.find("tcpproxy.connections.active").meters()).hasSize(1);
            }

            // A change seen through one registry's reads reaches the other one too.
            String added = "127.0.0.1:" + later.port();
            proxy.addBackend(Backend.of(later.address()));
            Await.until("the added backend's meters in the first registry", Duration.ofSeconds(5),
                    () -> read(first) && first.find("tcpproxy.backend.up").tag("backend", added).gauge() != null);
            assertThat(second.find("tcpproxy.backend.up").tag("backend", added).meters()).hasSize(1);
        }
    }

    /**
     * The binder keeps itself alive only through its gauges. A registry whose filters accept only
     * function counters (an allow-list of the per-backend byte counters, say) keeps no gauge, so
     * the one-line bindTo leaves the binder weakly reachable: after a GC the counters stop counting
     * (Micrometer then returns their last value).
     */
    @Test
    void countersKeepReadingWhenTheFiltersDenyEveryGauge() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        // Keep the two byte counters only (the first filter that decides wins).
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("tcpproxy.bytes.buffered"))
                .meterFilter(MeterFilter.acceptNameStartsWith("tcpproxy.bytes"))
                .meterFilter(MeterFilter.denyNameStartsWith("tcpproxy"));
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = proxyTo(echo).start()) {
            new TcpProxyMetrics(proxy).bindTo(registry);
            assertThat(registry.find("tcpproxy.bytes").functionCounters()).hasSize(2);
            collectGarbage();
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, Payloads.random(1000, 3));
            }
            Await.until("the proxy counted the bytes", Duration.ofSeconds(5),
                    () -> proxy.stats().bytesClientToBackend() == 1000);
            Await.until("the byte counter reads the proxy's 1000 bytes", Duration.ofSeconds(5),
                    () -> registry.get("tcpproxy.bytes").tag("direction", "client_to_backend").functionCounter()
                            .count(), c -> c == 1000);
        }
    }

    /**
     * "Binding to the same registry again registers nothing twice" - but after the registry's
     * meters were cleared, binding again must register the backend meters again; the binder
     * still believes they are there.
     */
    @Test
    void bindingAgainAfterTheRegistryWasClearedRegistersTheBackendMetersAgain() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = proxyTo(echo).start()) {
            TcpProxyMetrics metrics = new TcpProxyMetrics(proxy);
            metrics.bindTo(registry);
            String backend = "127.0.0.1:" + echo.port();
            assertThat(registry.find("tcpproxy.backend.up").tag("backend", backend).meters()).hasSize(1);
            registry.clear();
            metrics.bindTo(registry);
            assertThat(registry.find("tcpproxy.connections.active").meters()).hasSize(1);
            assertThat(registry.find("tcpproxy.backend.up").tag("backend", backend).meters())
                    .as("the backend's meters after clear() and bindTo again").hasSize(1);
        }
    }

    /** bindTo from several threads at once: each sees a snapshot, none a half-made one. */
    @Test
    void bindToFromSeveralThreadsAtOnceNeverThrows() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = proxyTo(echo).start()) {
            TcpProxyMetrics metrics = new TcpProxyMetrics(proxy, Tags.of("proxy", "test"));
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            int threads = 12;
            CountDownLatch done = new CountDownLatch(threads);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < 2_000 && end - System.nanoTime() > 0 && failures.isEmpty(); i++) {
                            SimpleMeterRegistry registry = new SimpleMeterRegistry();
                            metrics.bindTo(registry);
                            registry.get("tcpproxy.connections.active").gauge().value();
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    } finally {
                        done.countDown();
                    }
                }, "binder-" + t);
                th.start();
            }
            assertThat(done.await(45, TimeUnit.SECONDS)).isTrue();
            assertThat(failures).as("exceptions thrown by concurrent bindTo").isEmpty();
        }
    }

    /** A registry its user dropped is not kept by the binder (nor by the other registry through it). */
    @Test
    void aDroppedRegistryIsNotKeptByTheBinder() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = proxyTo(echo).start()) {
            TcpProxyMetrics metrics = new TcpProxyMetrics(proxy, Tags.empty());
            MeterRegistry kept = new SimpleMeterRegistry();
            metrics.bindTo(kept);
            WeakReference<MeterRegistry> dropped = bindAndDrop(metrics);
            for (int i = 0; i < 20 && dropped.get() != null; i++) {
                System.gc();
            }
            assertThat(kept.find("tcpproxy.connections.active").gauge()).isNotNull();
            assertThat(dropped.get()).as("a registry nobody but the binder references, after System.gc()").isNull();
        }
    }

    private static WeakReference<MeterRegistry> bindAndDrop(TcpProxyMetrics metrics) {
        MeterRegistry registry = new SimpleMeterRegistry();
        metrics.bindTo(registry);
        registry.close();
        return new WeakReference<>(registry);
    }

    private static TcpProxy.Builder proxyTo(EchoServer echo) {
        return TcpProxy.builder()
                .listen(new InetSocketAddress(Sockets.loopback(), 0))
                .backend(echo.backend())
                .drainTimeout(Duration.ofSeconds(1));
    }

    /** Reads a meter, as a scrape would; true, for use in a wait's condition. */
    private static boolean read(MeterRegistry registry) {
        registry.get("tcpproxy.connections.active").gauge().value();
        return true;
    }

    /**
     * The usual one-liner keeps no reference to the binder; Micrometer's meters hold their state
     * object weakly, so the binder must keep itself alive through the registry.
     */
    @Test
    void metersKeepReadingAfterTheBinderIsNoLongerReferenced() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = proxyTo(echo).start()) {
            new TcpProxyMetrics(proxy).bindTo(registry);
            collectGarbage();
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, Payloads.random(100, 2));
                Await.until("the gauge sees the open connection", Duration.ofSeconds(5),
                        () -> registry.get("tcpproxy.connections.active").gauge().value() == 1);
            }
            Await.until("the counter sees the connection", Duration.ofSeconds(5),
                    () -> registry.get("tcpproxy.connections").functionCounter().count() == 1);
            assertThat(registry.get("tcpproxy.backend.connections").tag("backend", "127.0.0.1:" + echo.port())
                    .functionCounter().count()).isEqualTo(1);
        }
    }

    /** Runs the collector until an unreferenced object is gone (a few tries; the JVM may ignore one). */
    private static void collectGarbage() {
        WeakReference<Object> probe = new WeakReference<>(new Object());
        for (int i = 0; i < 20 && probe.get() != null; i++) {
            System.gc();
        }
        assertThat(probe.get()).as("an unreferenced object after System.gc()").isNull();
    }
}
