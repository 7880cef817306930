package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A proxy whose relay buffers may take only two buffers' worth of memory, and more connections
 * than that whose clients do not read: the ones without a buffer go on a little at a time, and
 * once the clients read, every byte of every connection arrives, none reset.
 */
@Timeout(60)
class BufferBudgetTest {
    private static final int BUFFER_SIZE = 4096;
    private static final int CLIENTS = 4;
    private static final long SIZE = 1 << 20;
    /** Socket buffers of stalled clients: small, so that they fill soon. */
    private static final int SOCKET_BUFFER = 4096;

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
    void connectionsWhosePeersDoNotReadCannotStopTheOthers() throws Exception {
        // Two clients that never read, each with a backend pushing at it, hold the whole budget.
        // A third client's byte and FIN must still get through, and the echo and FIN come back:
        // while the budget is spent, connections read through the reactor's small reserve.
        int bufferSize = 64 * 1024;
        CountDownLatch testDone = new CountDownLatch(1);
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    int kind = socket.getInputStream().read();
                    if (kind == 'P') { // push at a client that never reads
                        Async.start("push", () -> Payloads.write(socket.getOutputStream(), 1, 256L << 20));
                        testDone.await(25, TimeUnit.SECONDS);
                    } else { // echo the byte, then FIN
                        socket.getOutputStream().write(kind);
                        socket.shutdownOutput();
                        assertThat(socket.getInputStream().read()).isEqualTo(-1);
                    }
                });
                RunningProxy proxy = Loopback.proxyTo(backend).reactorThreads(1).bufferSize(bufferSize)
                        .maxBufferMemory(2 * bufferSize).start()) {
            NioProxy engine = (NioProxy) proxy;
            List<Socket> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Socket c = new Socket();
                    stalled.add(c);
                    c.setReceiveBufferSize(SOCKET_BUFFER); // fills soon
                    c.connect(proxy.localAddress(), 5_000);
                    c.getOutputStream().write('P');
                }
                // Both hold a buffer for good once nothing moves across a round through the reactor
                // (connections() asks it): a buffer in use for one read is given back within one.
                Await.until("the stalled connections hold the budget", Duration.ofSeconds(10), () -> {
                    long before = proxy.stats().bytesBackendToClient();
                    proxy.connections();
                    ProxyStats after = proxy.stats();
                    return engine.bufferBudget.taken() >= 2L * bufferSize && after.bufferedBytes() > 0
                            && after.bytesBackendToClient() == before;
                });
                try (Socket c = Sockets.connect(proxy.localAddress(), Duration.ofSeconds(5))) {
                    c.getOutputStream().write('E');
                    c.shutdownOutput();
                    assertThat(Sockets.readOutcome(c)).as("the echo, with the budget spent (stats %s)",
                            proxy.stats().withoutBackends()).isEqualTo((int) 'E');
                    assertThat(Sockets.readOutcome(c)).as("then the FIN").isEqualTo(-1);
                }
                assertThat(proxy.stats().bufferWaits()).as("reads that found the budget spent").isPositive();
            } finally {
                testDone.countDown();
                for (Socket c : stalled) {
                    c.close();
                }
            }
            backend.assertNoFailures();
        }
    }

    @Test
    void sparesOnOneReactorDoNotStarveTheOther() throws Exception {
        // One buffer for two reactors: were it kept as a spare by the reactor that used it last,
        // the other reactor's connections would wait for it for good.
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).reactorThreads(2).bufferSize(BUFFER_SIZE)
                        .maxBufferMemory(BUFFER_SIZE).start()) {
            for (int i = 0; i < 10; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress(), Duration.ofSeconds(5))) {
                    EchoServer.assertEchoes(client, new byte[] {(byte) i});
                }
            }
        }
    }

    @Test
    void aConnectionHoldingABufferAlwaysGetsItsSecond() throws Exception {
        // A backend that echoes with blocking writes stops reading while the proxy does not read
        // its echo. With a one-buffer budget, the upload holds the buffer whenever the backend
        // does not read it, and the echo then needs a second one: it may take it beyond the
        // budget, so its reads stay full-sized and never fall back to the reserve.
        // Socket buffers of a full loopback segment: below that, Linux sends on its zero-window
        // probe timer (200 ms, doubling while the receiver stays full), which a busy machine
        // stretched past this test's bounds.
        int socketBuffer = 64 * 1024;
        long size = 16L << 20;
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    socket.setSendBufferSize(socketBuffer);
                    socket.setReceiveBufferSize(socketBuffer);
                    byte[] chunk = new byte[16 * 1024];
                    for (int n; (n = socket.getInputStream().read(chunk)) >= 0; ) {
                        socket.getOutputStream().write(chunk, 0, n);
                    }
                    socket.shutdownOutput();
                });
                RunningProxy proxy = Loopback.proxyTo(backend).reactorThreads(1).bufferSize(BUFFER_SIZE)
                        .maxBufferMemory(BUFFER_SIZE).sendBufferSize(socketBuffer).receiveBufferSize(socketBuffer)
                        .start();
                Socket client = Sockets.connect(proxy.localAddress(), Duration.ofSeconds(30))) {
            CompletableFuture<Payloads.Received> echoed = Async.start("reader",
                    () -> Payloads.drain(client.getInputStream(), 2 * size));
            // Written by another thread: a wedged connection blocks the writer, and the bounded
            // wait below, not a blocked write, is what ends the test then.
            CompletableFuture<String> sent = Async.start("writer", () -> {
                String digest = Payloads.write(client.getOutputStream(), 7, size);
                client.shutdownOutput();
                return digest;
            });
            assertThat(echoed.get(40, TimeUnit.SECONDS))
                    .isEqualTo(new Payloads.Received(size, sent.get(5, TimeUnit.SECONDS)));
            assertThat(proxy.stats().bufferWaits()).as("reads that found the budget spent").isZero();
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
