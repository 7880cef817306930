package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.DataInputStream;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The counters match what the test knows it sent. */
@Timeout(60)
class StatsTest {

    @Test
    void countsConnectionsAndBytesOfKnownTransfers() throws Exception {
        // The backend reads a 4-byte length, that many bytes, then answers 3 times as many.
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    DataInputStream in = new DataInputStream(socket.getInputStream());
                    int n = in.readInt();
                    Payloads.readFully(in, n);
                    Payloads.write(socket.getOutputStream(), n, 3L * n);
                    Payloads.readToEof(in, 0);
                });
                RunningProxy proxy = Loopback.proxyTo(backend).start()) {
            assertThat(proxy.stats().withoutBackends()).isEqualTo(new ProxyStats(0, 0, 0, 0, 0, 0, 0, 0));
            long up = 0;
            long down = 0;
            int[] sizes = {1, 10_000, 300_000};
            for (int i = 0; i < sizes.length; i++) {
                int n = sizes[i];
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    client.getOutputStream().write(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
                    client.getOutputStream().write(Payloads.random(n, n));
                    Payloads.readFully(client.getInputStream(), 3 * n);
                    ProxyStats during = proxy.stats();
                    assertThat(during.activeConnections()).as("open connections during transfer %d", i).isEqualTo(1);
                    assertThat(during.totalConnections()).as("accepted connections during transfer %d", i).isEqualTo(i + 1);
                    client.shutdownOutput();
                    assertThat(client.getInputStream().read()).isEqualTo(-1);
                }
                Await.until("connection " + i + " ended", Duration.ofSeconds(5),
                        () -> proxy.stats().activeConnections() == 0);
                up += 4 + n;
                down += 3L * n;
            }

            ProxyStats stats = Await.until("every connection ended", Duration.ofSeconds(5),
                    proxy::stats, s -> s.activeConnections() == 0);
            assertThat(stats.withoutBackends()).isEqualTo(new ProxyStats(0, sizes.length, up, down, 0, 0, 0, 0));
            assertThat(stats.backends()).hasSize(1);
            assertThat(stats.backends().get(0).totalConnections()).isEqualTo(sizes.length);
            assertThat(stats.backends().get(0).bytesClientToBackend()).isEqualTo(up);
            assertThat(stats.backends().get(0).bytesBackendToClient()).isEqualTo(down);
            backend.assertNoFailures();
        }
    }
}
