package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.ConnectionSummary.End;
import io.github.tcpproxy.ConnectionSummary.Side;
import io.github.tcpproxy.RefusalReason;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The connection listener hears each connection's events, in order, and cannot break anything. */
@Timeout(60)
class ListenerTest {

    /** Records every event as text, and each summary. */
    static final class Recorder implements ConnectionListener {
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        final BlockingQueue<ConnectionSummary> closed = new LinkedBlockingQueue<>();

        @Override
        public void accepted(long id, InetSocketAddress client) {
            events.add("accepted #" + id);
        }

        @Override
        public void refused(InetSocketAddress client, RefusalReason reason) {
            events.add("refused " + reason);
        }

        @Override
        public void backendChosen(long id, InetSocketAddress backend, int attempt) {
            events.add("chosen #" + id + " :" + backend.getPort() + " attempt " + attempt);
        }

        @Override
        public void connectFailed(long id, InetSocketAddress backend, String reason) {
            events.add("failed #" + id + " :" + backend.getPort());
        }

        @Override
        public void closed(ConnectionSummary summary) {
            events.add("closed #" + summary.id() + " " + summary.end());
            closed.add(summary);
        }

        ConnectionSummary nextClosed() throws InterruptedException {
            ConnectionSummary s = closed.poll(10, TimeUnit.SECONDS);
            assertThat(s).as("a closed event within 10 s").isNotNull();
            return s;
        }

        List<String> drain() {
            List<String> out = new ArrayList<>();
            events.drainTo(out);
            return out;
        }
    }

    @Test
    void aCompletedConnectionIsReportedWithBytesDurationAndWhoEndedFirst() throws Exception {
        Recorder recorder = new Recorder();
        byte[] payload = Payloads.random(50_000, 5);
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).connectionListener(recorder).start()) {
            InetSocketAddress local;
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                local = (InetSocketAddress) client.getLocalSocketAddress();
                EchoServer.assertEchoes(client, payload);
                client.shutdownOutput();
                assertThat(client.getInputStream().read()).isEqualTo(-1);
            }
            ConnectionSummary s = recorder.nextClosed();
            assertThat(s.id()).isEqualTo(1);
            assertThat(s.client().getPort()).isEqualTo(local.getPort());
            assertThat(s.backend()).isEqualTo(echo.address());
            assertThat(s.bytesClientToBackend()).isEqualTo(payload.length);
            assertThat(s.bytesBackendToClient()).isEqualTo(payload.length);
            assertThat(s.duration()).isPositive();
            assertThat(s.end()).isEqualTo(End.COMPLETED);
            assertThat(s.endedFirst()).isEqualTo(Side.CLIENT);
            assertThat(recorder.drain()).containsExactly("accepted #1", "chosen #1 :" + echo.port() + " attempt 1",
                    "closed #1 COMPLETED");
        }
    }

    @Test
    void connectFailuresRetriesNoBackendAndRefusalsAreReported() throws Exception {
        Recorder recorder = new Recorder();
        int down = Sockets.closedPort();
        try (RunningProxy proxy = Loopback.proxyTo()
                .backend(Backend.of("127.0.0.1", down))
                .connectAttempts(1)
                .connectionListener(recorder)
                .start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            LimitsTest.assertClosedByProxy(client, "client with no backend");
            ConnectionSummary s = recorder.nextClosed();
            assertThat(s.end()).isEqualTo(End.NO_BACKEND);
            assertThat(s.endedFirst()).isEqualTo(Side.PROXY);
            assertThat(s.backend()).isNull();
            assertThat(recorder.drain()).containsExactly("accepted #1", "chosen #1 :" + down + " attempt 1",
                    "failed #1 :" + down, "closed #1 NO_BACKEND");
        }
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).deny("127.0.0.0/8").connectionListener(recorder).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            LimitsTest.assertClosedByProxy(client, "denied client");
            assertThat(recorder.events.poll(10, TimeUnit.SECONDS)).isEqualTo("refused DENIED");
        }
    }

    @Test
    void aRefusalIsReportedBeforeTheClientSeesItsConnectionEnd() throws Exception {
        // The listener looks at the refused client's own socket: closed by the proxy already, it
        // reads the end of the stream (-1); not yet, it reads nothing (0).
        CompletableFuture<SocketChannel> refusedClient = new CompletableFuture<>();
        CompletableFuture<Integer> seenByListener = new CompletableFuture<>();
        ConnectionListener listener = new ConnectionListener() {
            @Override
            public void refused(InetSocketAddress client, RefusalReason reason) {
                try {
                    seenByListener.complete(refusedClient.get(10, TimeUnit.SECONDS).read(ByteBuffer.allocate(1)));
                } catch (Exception e) {
                    seenByListener.completeExceptionally(e);
                }
            }
        };
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).deny("127.0.0.0/8").connectionListener(listener).start();
                SocketChannel client = SocketChannel.open(proxy.localAddress())) {
            client.configureBlocking(false);
            refusedClient.complete(client);
            assertThat(seenByListener.get(10, TimeUnit.SECONDS)).as("what the client had when the listener heard")
                    .isZero();
        }
    }

    @Test
    void aBackendResetIsReportedAsEndedByTheBackend() throws Exception {
        Recorder recorder = new Recorder();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    socket.getInputStream().read();
                    Sockets.reset(socket);
                });
                RunningProxy proxy = Loopback.proxyTo(backend).connectionListener(recorder).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(1);
            LimitsTest.assertClosedByProxy(client, "client whose backend reset");
            ConnectionSummary s = recorder.nextClosed();
            assertThat(s.end()).isEqualTo(End.RESET);
            assertThat(s.endedFirst()).isEqualTo(Side.BACKEND);
            assertThat(s.bytesClientToBackend()).isEqualTo(1);
        }
    }

    @Test
    void aThrowingListenerHarmsNeitherConnectionsNorOtherListeners() throws Exception {
        Recorder recorder = new Recorder();
        ConnectionListener broken = new ConnectionListener() {
            @Override
            public void accepted(long id, InetSocketAddress client) {
                throw new IllegalStateException("broken listener");
            }

            @Override
            public void closed(ConnectionSummary summary) {
                throw new AssertionError("broken listener");
            }
        };
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo)
                        .connectionListener(broken)
                        .connectionListener(recorder)
                        // Long enough that a busy machine's pause within an echo is not idleness.
                        .idleTimeout(Duration.ofSeconds(1))
                        .start()) {
            for (int i = 0; i < 3; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    EchoServer.assertEchoes(client, Payloads.random(1000, i));
                }
                assertThat(recorder.nextClosed().id()).isEqualTo(i + 1);
            }
            try (Socket idle = Sockets.connect(proxy.localAddress())) {
                assertThat(idle.getInputStream().read()).isEqualTo(-1);
            }
            ConnectionSummary s = recorder.nextClosed();
            assertThat(s.end()).isEqualTo(End.IDLE_TIMEOUT);
            assertThat(s.endedFirst()).isEqualTo(Side.PROXY);
            assertThat(proxy.stats().totalConnections()).isEqualTo(4);
        }
    }
}
