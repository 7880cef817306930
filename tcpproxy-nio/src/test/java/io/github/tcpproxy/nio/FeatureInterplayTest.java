package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.ConnectionInfo;
import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.ConnectionState;
import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.TcpProxyException;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.fault.FlowDirection;
import io.github.tcpproxy.internal.Addresses;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Blackhole;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Where faults, timeouts, limits and listeners meet on one connection. */
@Timeout(60)
class FeatureInterplayTest {

    @Test
    void closingAConnectionStillConnectingToItsBackendEndsItAndFreesItsCounts() throws Exception {
        try (Blackhole hole = Blackhole.start();
                RunningProxy proxy = TcpProxy.builder()
                        .listen(new InetSocketAddress(Sockets.loopback(), 0))
                        .backend(Backend.of(hole.address().getHostString(), hole.address().getPort()))
                        .connectTimeout(Duration.ofSeconds(30))
                        .drainTimeout(Duration.ofSeconds(3))
                        .maxConnectionsPerClient(1)
                        .start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            ConnectionInfo connecting = Await.until("the connection is listed as connecting", Duration.ofSeconds(10),
                    proxy::connections, list -> list.size() == 1
                            && list.get(0).state() == ConnectionState.CONNECTING).get(0);

            connecting.close();

            Await.until("the closed connection is gone", Duration.ofSeconds(10),
                    () -> proxy.stats().activeConnections() == 0 && proxy.connections().isEmpty());
            assertThat(client.getInputStream().read()).as("the client sees its end").isEqualTo(-1);
            // The per-client count was released: the same address may connect again.
            try (Socket again = Sockets.connect(proxy.localAddress())) {
                Await.until("the second client is admitted", Duration.ofSeconds(10),
                        () -> proxy.connections().size() == 1);
            }
            assertThat(proxy.stats().refused()).as("clients refused").isZero();
        }
    }

    @Test
    void dataHeldByAFaultIsNotIdleAndTheSideThatEndedIsKnown() throws Exception {
        List<ConnectionSummary> closed = new CopyOnWriteArrayList<>();
        try (EchoServer backend = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(backend)
                        .idleTimeout(Duration.ofMillis(600))
                        .connectionListener(new ConnectionListener() {
                            @Override
                            public void closed(ConnectionSummary summary) {
                                closed.add(summary);
                            }
                        })
                        .start();
                FaultHandle latency = proxy.addFault(Faults.latency(Duration.ofMillis(1500)),
                        FaultTarget.all().direction(FlowDirection.CLIENT_TO_BACKEND));
                Socket client = Sockets.connect(proxy.localAddress())) {
            byte[] line = "held, not idle\n".getBytes(StandardCharsets.US_ASCII);
            // Held 1.5 s by the fault, longer than the 600 ms idle timeout: it must still arrive.
            EchoServer.assertEchoes(client, line);
            client.shutdownOutput();
            assertThat(client.getInputStream().read()).isEqualTo(-1);
            ConnectionSummary summary = Await.until("the connection ended", Duration.ofSeconds(10),
                    () -> closed.isEmpty() ? null : closed.get(0), s -> s != null);
            assertThat(summary.end()).isEqualTo(ConnectionSummary.End.COMPLETED);
            assertThat(summary.endedFirst()).as("who ended first").isEqualTo(ConnectionSummary.Side.CLIENT);
        }
    }

    @Test
    void whenThePortIsTakenWhileRefusingEnableListensAgainLater() throws Exception {
        try (EchoServer backend = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(backend).reactorThreads(2).start()) {
            InetSocketAddress where = proxy.localAddress();
            FaultHandle refuse = proxy.addFault(Faults.refuseConnections(), FaultTarget.all());
            try (ServerSocket squatter = new ServerSocket()) {
                squatter.bind(where); // another program takes the port while the proxy refuses
                assertThatThrownBy(refuse::close).isInstanceOf(TcpProxyException.class)
                        .hasMessageContaining(Addresses.format(where));
                assertThat(refuse.isActive()).as("the fault is removed all the same").isFalse();
                assertThat(proxy.isEnabled()).as("not listening: not enabled").isFalse();
            }
            proxy.enable();
            assertThat(proxy.isEnabled()).isTrue();
            try (Socket client = Sockets.connect(where)) {
                EchoServer.assertEchoes(client, "again\n".getBytes(StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void refuseConnectionsIsInForceWhenAddFaultReturns() throws Exception {
        try (EchoServer backend = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(backend).reactorThreads(2).start()) {
            InetSocketAddress where = proxy.localAddress();
            try (FaultHandle refuse = proxy.addFault(Faults.refuseConnections(), FaultTarget.all())) {
                // No grace period: the listen sockets are closed by the time addFault returns.
                assertThat(Sockets.isRefused(where)).as("refused right after addFault").isTrue();
            }
            try (Socket client = Sockets.connect(where)) {
                EchoServer.assertEchoes(client, "back\n".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                throw new AssertionError("not served again after the fault was removed", e);
            }
        }
    }
}
