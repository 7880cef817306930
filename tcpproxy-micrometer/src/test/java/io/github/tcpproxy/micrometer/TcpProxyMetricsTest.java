package io.github.tcpproxy.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class TcpProxyMetricsTest {

    @Test
    void metersReadTheProxysCountersByName() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (EchoServer echo = EchoServer.start();
                EchoServer later = EchoServer.start();
                RunningProxy proxy = TcpProxy.builder()
                        .listen(new InetSocketAddress(Sockets.loopback(), 0))
                        .backend(echo.backend())
                        .deny("127.0.0.2")
                        .drainTimeout(Duration.ofSeconds(1))
                        .start()) {
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

            proxy.addBackend(Backend.of(later.address()));
            metrics.bindTo(registry);
            // Snapshots are reused for 100 ms: the new backend shows in the next one.
            Await.until("the added backend's weight", Duration.ofSeconds(5), () -> registry.get("tcpproxy.backend.weight")
                    .tag("backend", "127.0.0.1:" + later.port()).gauge().value() == 1);
            proxy.removeBackend(echo.address());
            Await.until("a removed backend reads NaN", Duration.ofSeconds(5),
                    () -> Double.isNaN(registry.get("tcpproxy.backend.up").tag("backend", backend).gauge().value()));
        }
    }
}
