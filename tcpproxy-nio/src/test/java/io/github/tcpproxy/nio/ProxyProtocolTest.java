package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.ConnectionSummary.End;
import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.ProxyProtocol;
import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** PROXY protocol headers sent to backends and accepted from clients, over real sockets. */
@Timeout(60)
class ProxyProtocolTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);

    /** A backend that records the header it got (parsed), then echoes the rest. */
    private static ScriptedServer headerThenEcho(CompletableFuture<ProxyHeader.Parsed> header) {
        return ScriptedServer.start(socket -> {
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[ProxyHeader.MAX];
            int n = 0;
            ProxyHeader.Parsed parsed = null;
            // One byte at a time, so that nothing after the header is consumed here.
            while (parsed == null && n < buf.length) {
                int b = in.read();
                if (b < 0) {
                    throw new IllegalStateException("EOF after " + n + " header bytes");
                }
                buf[n++] = (byte) b;
                parsed = ProxyHeader.parse(buf, n);
            }
            header.complete(parsed);
            OutputStream out = socket.getOutputStream();
            in.transferTo(out);
            socket.shutdownOutput();
        });
    }

    @Test
    void sendsAVersion1HeaderWithTheClientsAddressBeforeItsBytes() throws Exception {
        CompletableFuture<ProxyHeader.Parsed> got = new CompletableFuture<>();
        byte[] payload = Payloads.random(100_000, 1);
        try (ScriptedServer backend = headerThenEcho(got);
                RunningProxy proxy = Loopback.proxyTo(backend).sendProxyProtocol(ProxyProtocol.V1).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(client, payload);
            ProxyHeader.Parsed header = got.get(10, TimeUnit.SECONDS);
            assertThat(header.version()).isEqualTo(1);
            assertThat(header.source()).isEqualTo(client.getLocalSocketAddress());
            assertThat(header.destination()).isEqualTo(proxy.localAddress());
            client.shutdownOutput();
            assertThat(client.getInputStream().read()).isEqualTo(-1);
            ProxyStats stats = Await.until("the connection ended", WITHIN, proxy::stats,
                    s -> s.activeConnections() == 0);
            assertThat(stats.bytesClientToBackend()).as("relayed bytes, the header not counted")
                    .isEqualTo(payload.length);
            assertThat(stats.bufferedBytes()).isZero();
            backend.assertNoFailures();
        }
    }

    @Test
    void passesOnTheAddressOfAnAcceptedHeaderAsVersion2() throws Exception {
        CompletableFuture<ProxyHeader.Parsed> got = new CompletableFuture<>();
        ListenerTest.Recorder recorder = new ListenerTest.Recorder();
        try (ScriptedServer backend = headerThenEcho(got);
                RunningProxy proxy = Loopback.proxyTo(backend)
                        .acceptProxyProtocol(true)
                        .sendProxyProtocol(ProxyProtocol.V2)
                        .connectionListener(recorder)
                        .start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            // The header and the first bytes in one write, as a load balancer may send them.
            byte[] first = "PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\r\nhello".getBytes(StandardCharsets.US_ASCII);
            client.getOutputStream().write(first);
            assertThat(Payloads.readFully(client.getInputStream(), 5)).isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
            EchoServer.assertEchoes(client, Payloads.random(50_000, 2));
            ProxyHeader.Parsed header = got.get(10, TimeUnit.SECONDS);
            assertThat(header.version()).isEqualTo(2);
            assertThat(header.source()).isEqualTo(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 50000));
            assertThat(header.destination()).isEqualTo(new InetSocketAddress(InetAddress.getByName("198.51.100.2"), 443));
            client.close();
            ConnectionSummary s = recorder.nextClosed();
            assertThat(s.client()).isEqualTo(header.source());
            assertThat(s.bytesClientToBackend()).isEqualTo(5 + 50_000);
        }
    }

    @Test
    void acceptsVersion2HeadersArrivingByteByByte() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.setTcpNoDelay(true);
            byte[] v2 = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a2111000cac130001ac130003a6520050");
            for (byte b : v2) {
                client.getOutputStream().write(b);
                client.getOutputStream().flush();
            }
            EchoServer.assertEchoes(client, Payloads.random(10_000, 3));
            assertThat(proxy.stats().proxyProtocolErrors()).isZero();
        }
    }

    @Test
    void garbageTruncatedOversizedAndLateHeadersCloseOnlyThatConnection() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo)
                        .acceptProxyProtocol(true)
                        .proxyProtocolTimeout(Duration.ofMillis(500))
                        .start();
                Socket good = Sockets.connect(proxy.localAddress())) {
            good.getOutputStream().write("PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII));
            EchoServer.assertEchoes(good, Payloads.random(1000, 4));

            byte[][] bad = {
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                ("PROXY TCP4 " + "9".repeat(120)).getBytes(StandardCharsets.US_ASCII),
                HexFormat.of().parseHex("0d0a0d0a000d0a515549540a2111ffff"),
                Payloads.random(300, 5),
            };
            for (byte[] b : bad) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    client.getOutputStream().write(b);
                    LimitsTest.assertClosedByProxy(client, "client sending " + b.length + " bad bytes");
                }
            }
            try (Socket truncated = Sockets.connect(proxy.localAddress())) {
                truncated.getOutputStream().write("PROXY TCP4 192.0.2.1 19".getBytes(StandardCharsets.US_ASCII));
                truncated.shutdownOutput();
                LimitsTest.assertClosedByProxy(truncated, "client ending inside its header");
            }
            try (Socket silent = Sockets.connect(proxy.localAddress())) {
                LimitsTest.assertClosedByProxy(silent, "client sending no header");
            }
            try (Socket reset = Sockets.connect(proxy.localAddress())) {
                reset.getOutputStream().write("PROXY TCP".getBytes(StandardCharsets.US_ASCII));
                Sockets.reset(reset);
            }
            ProxyStats stats = Await.until("every bad client closed", WITHIN, proxy::stats,
                    s -> s.activeConnections() == 1 && s.totalConnections() == 8);
            assertThat(stats.proxyProtocolErrors()).as("garbage, too long v1, too long v2, random, truncated, late;"
                    + " the reset is a reset").isEqualTo(6);
            assertThat(echo.connections()).as("backend connections: the good client's only").isEqualTo(1);
            EchoServer.assertEchoes(good, Payloads.random(1000, 6));
        }
    }

    @Test
    void aHeaderLengthIsReadExactlySoTheBytesAfterItAreRelayed() throws Exception {
        CompletableFuture<byte[]> got = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    DataInputStream in = new DataInputStream(socket.getInputStream());
                    got.complete(Payloads.readToEof(in, 1 << 20));
                });
                RunningProxy proxy = Loopback.proxyTo(backend).acceptProxyProtocol(true).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            byte[] v2 = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a2111000cac130001ac130003a6520050");
            byte[] data = Payloads.random(3000, 7);
            byte[] all = new byte[v2.length + data.length];
            System.arraycopy(v2, 0, all, 0, v2.length);
            System.arraycopy(data, 0, all, v2.length, data.length);
            client.getOutputStream().write(all);
            client.shutdownOutput();
            assertThat(Payloads.sha256(got.get(10, TimeUnit.SECONDS))).isEqualTo(Payloads.sha256(data));
        }
    }

    /**
     * SelectionContext.listenAddress, the "destination" of dh and lblc: the address the client
     * connected to. With an accepted header that is the destination the header names (it was the
     * proxy's listen address for every client); without one, the proxy's own address.
     */
    @Test
    void strategiesSeeTheDestinationOfAnAcceptedHeader() throws Exception {
        List<InetSocketAddress> seen = new CopyOnWriteArrayList<>();
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true)
                        .strategy(context -> {
                            seen.add(context.listenAddress());
                            return context.backends().get(0);
                        }).start()) {
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                client.getOutputStream().write("PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                EchoServer.assertEchoes(client, new byte[] {1, 2, 3});
            }
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                client.getOutputStream().write("PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII));
                EchoServer.assertEchoes(client, new byte[] {4});
            }
            assertThat(seen).containsExactly(new InetSocketAddress(InetAddress.getByName("198.51.100.2"), 443),
                    proxy.localAddress());
        }
    }

    /**
     * Faults aimed by client address must see the header's address, as strategies and listeners
     * do: they were started at accept, with the load balancer's. A fault added while a client is
     * still sending its header (existing connections included) starts once the header is in.
     */
    @Test
    void faultsSeeTheClientAddressOfAnAcceptedHeader() throws Exception {
        List<InetSocketAddress> seenByNew = new CopyOnWriteArrayList<>();
        List<InetSocketAddress> seenByAll = new CopyOnWriteArrayList<>();
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true).start();
                FaultHandle onNew = proxy.addFault(Faults.latency(Duration.ofMillis(1)),
                        FaultTarget.all().newConnections().where(info -> seenByNew.add(info.clientAddress())))) {
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                OutputStream out = client.getOutputStream();
                out.write("PROXY TCP4 192.0.2.1 198.51".getBytes(StandardCharsets.US_ASCII));
                proxy.awaitOpenConnections(1, WITHIN); // waiting for the rest of its header
                try (FaultHandle onAll = proxy.addFault(Faults.latency(Duration.ofMillis(1)),
                        FaultTarget.all().where(info -> seenByAll.add(info.clientAddress())))) {
                    out.write(".100.2 50000 443\r\n".getBytes(StandardCharsets.US_ASCII));
                    EchoServer.assertEchoes(client, new byte[] {1, 2, 3});
                }
            }
            InetSocketAddress original = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 50000);
            assertThat(seenByNew).as("a fault on new connections").containsExactly(original);
            assertThat(seenByAll).as("a fault added during the header").containsExactly(original);
        }
    }

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

    /** A bad header: listeners still hear accepted (with the address that connected), then closed. */
    @Test
    void listenersHearAcceptedBeforeClosedWhenTheHeaderIsBad() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        ConnectionListener listener = new ConnectionListener() {
            @Override
            public void accepted(long id, InetSocketAddress client) {
                heard.add("accepted #" + id + " " + client.getPort());
            }

            @Override
            public void closed(ConnectionSummary summary) {
                heard.add("closed #" + summary.id() + " " + summary.client().getPort() + " " + summary.end());
            }
        };
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true).connectionListener(listener)
                        .start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Await.until("the connection closed", Duration.ofSeconds(5), () -> heard.size() == 2);
            int port = client.getLocalPort();
            assertThat(heard).containsExactly("accepted #1 " + port, "closed #1 " + port + " " + End.PROXY_PROTOCOL_ERROR);
            assertThat(echo.connections()).isZero();
        }
    }
}
