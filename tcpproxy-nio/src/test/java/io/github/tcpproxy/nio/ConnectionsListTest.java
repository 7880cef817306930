package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.ConnectionInfo;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link RunningProxy#connections()} lists the connections open now: a closed connection's keys
 * stay in the selector's key set until the reactor's next select, and must not make it listed.
 */
@Timeout(60)
class ConnectionsListTest {

    /** The plain use: close one connection, then list them. */
    @Test
    void aConnectionClosedThroughConnectionInfoIsNotListedAfterwards() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).reactorThreads(1).start()) {
            List<String> stale = new ArrayList<>();
            for (int i = 0; i < 100 && stale.isEmpty(); i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    EchoServer.assertEchoes(client, new byte[] {1});
                    proxy.awaitOpenConnections(1, Duration.ofSeconds(5));
                    ConnectionInfo info = proxy.connections().get(0);
                    info.close(); // returns once done: the connection has ended
                    List<ConnectionInfo> after = proxy.connections();
                    if (!after.isEmpty()) {
                        stale.add("round " + i + ": closed #" + info.id() + " still listed as " + after
                                + " while stats say " + proxy.stats().activeConnections() + " open");
                    }
                    assertThat(client.getInputStream().read()).isEqualTo(-1);
                }
                proxy.awaitOpenConnections(0, Duration.ofSeconds(5));
            }
            assertThat(stale).as("connections() after ConnectionInfo.close() returned").isEmpty();
        }
    }

    /** The same race made certain: the snapshot task is queued behind the task that closes. */
    @Test
    void aSnapshotInTheSameTurnAsACloseDoesNotListTheClosedConnection() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).reactorThreads(1).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(client, new byte[] {1});
            proxy.awaitOpenConnections(1, Duration.ofSeconds(5));
            Reactor reactor = ((NioProxy) proxy).reactors[0];
            CompletableFuture<List<ConnectionInfo>> listed = new CompletableFuture<>();
            CompletableFuture<Void> closed = new CompletableFuture<>();
            Thread lister = new Thread(() -> {
                try {
                    listed.complete(proxy.connections());
                } catch (Throwable t) {
                    listed.completeExceptionally(t);
                }
            }, "review3-lister");
            reactor.execute(() -> {
                try {
                    for (SelectionKey key : reactor.selector.keys()) {
                        if (key.attachment() instanceof Connection c && c.isClientKey(key)) {
                            c.endByFault(false);
                        }
                    }
                    lister.start();
                    // connections() has queued its task once it waits for it.
                    Await.until("connections() waits for the reactor", Duration.ofSeconds(5),
                            () -> lister.getState() == Thread.State.TIMED_WAITING
                                    || lister.getState() == Thread.State.WAITING);
                    closed.complete(null);
                } catch (Throwable t) {
                    closed.completeExceptionally(t);
                }
            });
            closed.get(10, TimeUnit.SECONDS);
            List<ConnectionInfo> snapshot = listed.get(10, TimeUnit.SECONDS);
            assertThat(proxy.stats().activeConnections()).as("open by the stats").isZero();
            assertThat(snapshot).as("connections() taken after the only connection was closed").isEmpty();
        }
    }
}
