package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A proxy whose relay buffers may take only two buffers' worth of memory, and more connections
 * than that whose clients do not read: the ones without a buffer wait for one, and once the
 * clients read, every byte of every connection arrives, none reset.
 */
@Timeout(60)
class BufferBudgetTest {
    private static final int BUFFER_SIZE = 4096;
    private static final int CLIENTS = 4;
    private static final long SIZE = 1 << 20;

    @Test
    void connectionsWithoutABufferWaitForOneAndLoseNothing() throws Exception {
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    // Each client gets SIZE bytes of its own pattern, named by the byte it sent first.
                    int seed = socket.getInputStream().read();
                    try (OutputStream out = socket.getOutputStream()) {
                        Payloads.write(out, seed, SIZE);
                    }
                });
                RunningProxy proxy = Loopback.proxyTo(backend).bufferSize(BUFFER_SIZE)
                        .maxBufferMemory(2 * BUFFER_SIZE).sendBufferSize(BUFFER_SIZE).start()) {
            NioProxy engine = (NioProxy) proxy;
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < CLIENTS; i++) {
                    Socket client = new Socket();
                    clients.add(client);
                    client.setReceiveBufferSize(BUFFER_SIZE); // small, so the proxy's writes to it stall
                    client.connect(proxy.localAddress(), 5_000);
                    client.setSoTimeout((int) Sockets.READ_TIMEOUT.toMillis());
                    client.getOutputStream().write(i + 1);
                }
                // Nobody reads yet: two connections hold the two buffers, the others wait.
                Await.until("a connection waits for a buffer", Duration.ofSeconds(10), () -> proxy.stats().bufferWaits() > 0);
                assertThat(engine.bufferBudget.taken()).isLessThanOrEqualTo(2L * BUFFER_SIZE);

                List<CompletableFuture<Payloads.Received>> reads = new ArrayList<>();
                for (Socket client : clients) {
                    reads.add(Async.start("reader", () -> Payloads.drain(client.getInputStream(), 2 * SIZE)));
                }
                for (int i = 0; i < CLIENTS; i++) {
                    assertThat(reads.get(i).get(40, TimeUnit.SECONDS)).as("client %d", i)
                            .isEqualTo(new Payloads.Received(SIZE, Payloads.sha256(i + 1, SIZE)));
                }
            } finally {
                for (Socket client : clients) {
                    client.close();
                }
            }
            ProxyStats stats = Await.until("every connection ended", Duration.ofSeconds(5), proxy::stats,
                    s -> s.activeConnections() == 0);
            assertThat(stats.bufferedBytes()).isZero();
            assertThat(engine.bufferBudget.taken()).as("at most the pool's spares").isLessThanOrEqualTo(2L * BUFFER_SIZE);
            backend.assertNoFailures();
        }
    }

    @Test
    void aBudgetSmallerThanOneBufferIsRefusedNamingBoth() {
        try (ScriptedServer backend = ScriptedServer.start(Socket::close)) {
            assertThatThrownBy(() -> Loopback.proxyTo(backend).bufferSize(8192).maxBufferMemory(4096).start())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("max buffer memory 4096 is less than one buffer (buffer size 8192)");
        }
    }
}
