package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Review: what listeners see of a client whose address comes from a PROXY protocol header. */
@Timeout(60)
class ReviewProxyProtocolTest {

    /**
     * TcpProxy.Builder.acceptProxyProtocol: "takes the client's address from it: strategies,
     * listeners and a header sent on see that address". ConnectionListener.accepted is called in
     * Connection.start() before the header is read, with the load balancer's address, while
     * closed() then reports the header's: one connection, two client addresses.
     */
    @Test
    void listenersHearTheHeadersClientAddressInAccepted() throws Exception {
        CompletableFuture<InetSocketAddress> accepted = new CompletableFuture<>();
        CompletableFuture<ConnectionSummary> closed = new CompletableFuture<>();
        ConnectionListener listener = new ConnectionListener() {
            @Override
            public void accepted(long id, InetSocketAddress client) {
                accepted.complete(client);
            }

            @Override
            public void closed(ConnectionSummary summary) {
                closed.complete(summary);
            }
        };
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true).connectionListener(listener).start()) {
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                client.getOutputStream().write("PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                EchoServer.assertEchoes(client, new byte[] {1, 2, 3});
            }
            InetSocketAddress original = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 50000);
            assertThat(closed.get(10, TimeUnit.SECONDS).client()).as("closed(): client").isEqualTo(original);
            assertThat(accepted.get(10, TimeUnit.SECONDS)).as("accepted(): client, for the same connection")
                    .isEqualTo(original);
        }
    }
}
