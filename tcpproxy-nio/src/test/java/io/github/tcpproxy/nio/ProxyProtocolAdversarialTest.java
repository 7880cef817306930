package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.ConnectionSummary.End;
import io.github.tcpproxy.ProxyProtocol;
import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.fault.FlowDirection;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Adversarial PROXY protocol tests: exact bytes sent, strict parsing of what is received. */
@Timeout(120)
class ProxyProtocolAdversarialTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);
    private static final byte[] SIG = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a");

    /** A backend that records every byte it receives until EOF, one recording per connection. */
    static final class Recording implements AutoCloseable {
        final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
        final ScriptedServer server;

        Recording() {
            server = ScriptedServer.start(socket -> {
                byte[] all = Payloads.readToEof(socket.getInputStream(), 1 << 24);
                received.add(all);
            });
        }

        byte[] next() throws InterruptedException {
            byte[] b = received.poll(10, TimeUnit.SECONDS);
            assertThat(b).as("a backend connection that ended within 10 s").isNotNull();
            return b;
        }

        @Override
        public void close() {
            server.close();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] v2(InetSocketAddress src, InetSocketAddress dst) {
        boolean v4 = src.getAddress().getAddress().length == 4;
        ByteBuffer b = ByteBuffer.allocate(v4 ? 28 : 52);
        b.put(SIG).put((byte) 0x21).put((byte) (v4 ? 0x11 : 0x21)).putShort((short) (v4 ? 12 : 36));
        b.put(src.getAddress().getAddress()).put(dst.getAddress().getAddress());
        b.putShort((short) src.getPort()).putShort((short) dst.getPort());
        return b.array();
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    // ---------------------------------------------------------------- sending

    @Test
    void v1ExactBytesForAnIpv4Client() throws Exception {
        byte[] payload = Payloads.random(5000, 11);
        try (Recording backend = new Recording();
                RunningProxy proxy = Loopback.proxyTo(backend.server).sendProxyProtocol(ProxyProtocol.V1).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(payload);
            client.shutdownOutput();
            byte[] got = backend.next();
            String expected = "PROXY TCP4 127.0.0.1 127.0.0.1 " + client.getLocalPort() + " "
                    + proxy.localAddress().getPort() + "\r\n";
            assertThat(new String(got, 0, Math.min(got.length, expected.length()), StandardCharsets.US_ASCII))
                    .isEqualTo(expected);
            assertThat(hex(got)).isEqualTo(hex(concat(ascii(expected), payload)));
        }
    }

    @Test
    void v2ExactBytesForAnIpv4Client() throws Exception {
        byte[] payload = Payloads.random(5000, 12);
        try (Recording backend = new Recording();
                RunningProxy proxy = Loopback.proxyTo(backend.server).sendProxyProtocol(ProxyProtocol.V2).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(payload);
            client.shutdownOutput();
            byte[] got = backend.next();
            byte[] header = v2((InetSocketAddress) client.getLocalSocketAddress(), proxy.localAddress());
            assertThat(header).hasSize(28);
            assertThat(hex(got)).isEqualTo(hex(concat(header, payload)));
        }
    }

    private static RunningProxy ipv6Proxy(Recording backend, ProxyProtocol version) throws Exception {
        return TcpProxy.builder().listen(new InetSocketAddress(InetAddress.getByName("::1"), 0))
                .backend(backend.server.backend()).drainTimeout(Duration.ofSeconds(3))
                .sendProxyProtocol(version).start();
    }

    @Test
    void v1AndV2ExactBytesForAnIpv6Client() throws Exception {
        byte[] payload = Payloads.random(3000, 13);
        try (Recording backend = new Recording()) {
            try (RunningProxy proxy = ipv6Proxy(backend, ProxyProtocol.V1);
                    Socket client = Sockets.connect(proxy.localAddress())) {
                client.getOutputStream().write(payload);
                client.shutdownOutput();
                byte[] got = backend.next();
                String expected = "PROXY TCP6 ::1 ::1 " + client.getLocalPort() + " " + proxy.localAddress().getPort()
                        + "\r\n";
                assertThat(hex(got)).isEqualTo(hex(concat(ascii(expected), payload)));
            }
            try (RunningProxy proxy = ipv6Proxy(backend, ProxyProtocol.V2);
                    Socket client = Sockets.connect(proxy.localAddress())) {
                client.getOutputStream().write(payload);
                client.shutdownOutput();
                byte[] got = backend.next();
                byte[] header = v2((InetSocketAddress) client.getLocalSocketAddress(), proxy.localAddress());
                assertThat(header).hasSize(52);
                assertThat(hex(got)).isEqualTo(hex(concat(header, payload)));
            }
        }
    }

    /** A dual-stack (wildcard) listen socket: IPv4 clients get TCP4 headers, IPv6 clients TCP6. */
    @Test
    void dualStackListenSocketSendsTheClientsOwnFamily() throws Exception {
        for (ProxyProtocol version : new ProxyProtocol[] {ProxyProtocol.V1, ProxyProtocol.V2}) {
            try (Recording backend = new Recording();
                    RunningProxy proxy = TcpProxy.builder().listen(0).backend(backend.server.backend())
                            .drainTimeout(Duration.ofSeconds(3)).sendProxyProtocol(version).start()) {
                int port = proxy.localAddress().getPort();
                for (String host : new String[] {"127.0.0.1", "::1"}) {
                    InetAddress ip = InetAddress.getByName(host);
                    try (Socket client = Sockets.connect(new InetSocketAddress(ip, port))) {
                        client.getOutputStream().write(ascii("x"));
                        client.shutdownOutput();
                        byte[] got = backend.next();
                        InetSocketAddress src = (InetSocketAddress) client.getLocalSocketAddress();
                        byte[] header = version == ProxyProtocol.V1
                                ? ascii("PROXY " + (ip.getAddress().length == 4 ? "TCP4 " : "TCP6 ") + host + " " + host
                                        + " " + src.getPort() + " " + port + "\r\n")
                                : v2(src, new InetSocketAddress(ip, port));
                        assertThat(hex(got)).as(version + " via " + host).isEqualTo(hex(concat(header, ascii("x"))));
                    }
                }
            }
        }
    }

    /** Client connects and closes at once, without a byte: the backend still gets exactly the header. */
    @Test
    void aSilentClientThatClosesAtOnceStillGetsExactlyOneHeaderSent() throws Exception {
        for (ProxyProtocol version : new ProxyProtocol[] {ProxyProtocol.V1, ProxyProtocol.V2}) {
            try (Recording backend = new Recording();
                    RunningProxy proxy = Loopback.proxyTo(backend.server).sendProxyProtocol(version).start()) {
                for (int i = 0; i < 20; i++) {
                    InetSocketAddress src;
                    try (Socket client = Sockets.connect(proxy.localAddress())) {
                        src = (InetSocketAddress) client.getLocalSocketAddress();
                        if (i % 2 == 0) {
                            client.shutdownOutput();
                            assertThat(client.getInputStream().read()).isEqualTo(-1);
                        }
                    }
                    byte[] got = backend.next();
                    byte[] header = version == ProxyProtocol.V1
                            ? ascii("PROXY TCP4 127.0.0.1 127.0.0.1 " + src.getPort() + " "
                                    + proxy.localAddress().getPort() + "\r\n")
                            : v2(src, proxy.localAddress());
                    assertThat(hex(got)).as(version + " round " + i).isEqualTo(hex(header));
                }
                ProxyStats s = Await.until("all closed", WITHIN, proxy::stats, x -> x.activeConnections() == 0);
                assertThat(s.bytesClientToBackend()).isZero();
                assertThat(s.bufferedBytes()).isZero();
            }
        }
    }

    /** Data then an immediate close, before the backend is even connected. */
    @Test
    void dataAndAnImmediateCloseArriveAfterExactlyOneHeader() throws Exception {
        try (Recording backend = new Recording();
                RunningProxy proxy = Loopback.proxyTo(backend.server).sendProxyProtocol(ProxyProtocol.V2).start()) {
            for (int i = 0; i < 20; i++) {
                byte[] payload = Payloads.random(1 + i * 997, i);
                InetSocketAddress src;
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    src = (InetSocketAddress) client.getLocalSocketAddress();
                    client.getOutputStream().write(payload);
                }
                byte[] got = backend.next();
                assertThat(hex(got)).as("round " + i).isEqualTo(hex(concat(v2(src, proxy.localAddress()), payload)));
            }
        }
    }

    /** The header is the proxy's own: faults on the client-to-backend direction must not touch or repeat it. */
    @Test
    void faultsDoNotDuplicateDelayAwayOrSplitTheHeaderFromTheData() throws Exception {
        byte[] payload = Payloads.random(20_000, 99);
        try (Recording backend = new Recording();
                RunningProxy proxy = Loopback.proxyTo(backend.server).sendProxyProtocol(ProxyProtocol.V1).start()) {
            var faults = List.of(
                    Faults.latency(Duration.ofMillis(20)),
                    // Slices below the ~45-byte header, but not 7 bytes: 20 000 bytes in ~2 900
                    // slices, each behind a 1 ms timer, took 3.4 s with 2 CPU hogs and over the
                    // client's 10 s read timeout on a busier machine; ~1 000 slices take a third.
                    Faults.slicer(20, 10, Duration.ofMillis(1)),
                    Faults.bandwidth(200_000),
                    Faults.delayFirstByte(Duration.ofMillis(50)));
            for (var fault : faults) {
                try (var handle = proxy.addFault(fault, FaultTarget.all().direction(FlowDirection.CLIENT_TO_BACKEND))) {
                    InetSocketAddress src;
                    try (Socket client = Sockets.connect(proxy.localAddress())) {
                        src = (InetSocketAddress) client.getLocalSocketAddress();
                        client.getOutputStream().write(payload);
                        client.shutdownOutput();
                        assertThat(client.getInputStream().read()).isEqualTo(-1);
                    }
                    byte[] got = backend.next();
                    String expected = "PROXY TCP4 127.0.0.1 127.0.0.1 " + src.getPort() + " "
                            + proxy.localAddress().getPort() + "\r\n";
                    assertThat(hex(got)).as("through " + fault).isEqualTo(hex(concat(ascii(expected), payload)));
                }
            }
            ProxyStats s = Await.until("all closed", WITHIN, proxy::stats, x -> x.activeConnections() == 0);
            assertThat(s.bytesClientToBackend()).isEqualTo(4L * payload.length);
        }
    }

    /** limitData(3): the header does not use up the limit; exactly 3 client bytes follow it. */
    @Test
    void aFaultThatLetsNoClientByteThroughStillSendsTheHeaderOnce() throws Exception {
        try (Recording backend = new Recording();
                RunningProxy proxy = Loopback.proxyTo(backend.server).sendProxyProtocol(ProxyProtocol.V2).start()) {
            try (var handle = proxy.addFault(Faults.limitData(3),
                    FaultTarget.all().direction(FlowDirection.CLIENT_TO_BACKEND))) {
                InetSocketAddress src;
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    src = (InetSocketAddress) client.getLocalSocketAddress();
                    client.getOutputStream().write(ascii("secret"));
                    LimitsTest.assertClosedByProxy(client, "client over a 3-byte limit");
                }
                byte[] got = backend.next();
                assertThat(hex(got)).isEqualTo(hex(concat(v2(src, proxy.localAddress()), ascii("sec"))));
            }
        }
    }

    /** A retry after a refused connect: the header goes to the backend that answers, once. */
    @Test
    void afterAConnectRetryTheHeaderIsSentOnceToTheBackendThatAnswers() throws Exception {
        int down = Sockets.closedPort();
        try (Recording backend = new Recording();
                RunningProxy proxy = TcpProxy.builder().listen(new InetSocketAddress(Sockets.loopback(), 0))
                        .backend(Backend.of("127.0.0.1", down)).backend(backend.server.backend())
                        .strategy("round-robin").connectAttempts(3).acceptProxyProtocol(true)
                        .sendProxyProtocol(ProxyProtocol.V1).drainTimeout(Duration.ofSeconds(3)).start()) {
            for (int i = 0; i < 4; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    client.getOutputStream().write(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\r\nbody" + i));
                    client.shutdownOutput();
                    assertThat(client.getInputStream().read()).isEqualTo(-1);
                }
                assertThat(new String(backend.next(), StandardCharsets.US_ASCII)).as("round " + i)
                        .isEqualTo("PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\r\nbody" + i);
            }
        }
    }

    /** Accepted header addresses passed on, for families that differ and IPv4-mapped IPv6. */
    @Test
    void acceptedAddressesArePassedOnInTheRightFamily() throws Exception {
        String[][] cases = {
            // received v1 line, expected v1 line sent on
            {"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n", "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n"},
            {"PROXY TCP6 2001:db8:0:0:0:0:0:1 ::2 65535 0\r\n", "PROXY TCP6 2001:db8::1 ::2 65535 0\r\n"},
            {"PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 2\r\n", "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 2\r\n"},
            {"PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n"},
        };
        try (Recording backend = new Recording();
                RunningProxy proxy = Loopback.proxyTo(backend.server).acceptProxyProtocol(true)
                        .sendProxyProtocol(ProxyProtocol.V1).start()) {
            for (String[] c : cases) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    client.getOutputStream().write(ascii(c[0] + "z"));
                    client.shutdownOutput();
                    assertThat(client.getInputStream().read()).isEqualTo(-1);
                }
                assertThat(new String(backend.next(), StandardCharsets.US_ASCII)).as("received " + c[0].trim())
                        .isEqualTo(c[1] + "z");
            }
        }
    }

    /** Chained: proxy A sends v1/v2 to proxy B, which accepts it and sends the other version on. */
    @Test
    void chainedSendAndAcceptKeepTheOriginalClient() throws Exception {
        for (ProxyProtocol first : new ProxyProtocol[] {ProxyProtocol.V1, ProxyProtocol.V2}) {
            ProxyProtocol second = first == ProxyProtocol.V1 ? ProxyProtocol.V2 : ProxyProtocol.V1;
            byte[] payload = Payloads.random(70_000, 5);
            try (Recording backend = new Recording();
                    RunningProxy b = Loopback.proxyTo(backend.server).acceptProxyProtocol(true)
                            .sendProxyProtocol(second).start();
                    RunningProxy a = TcpProxy.builder().listen(new InetSocketAddress(Sockets.loopback(), 0))
                            .backend(Backend.of(b.localAddress())).sendProxyProtocol(first)
                            .drainTimeout(Duration.ofSeconds(3)).start()) {
                InetSocketAddress src;
                try (Socket client = Sockets.connect(a.localAddress())) {
                    src = (InetSocketAddress) client.getLocalSocketAddress();
                    client.getOutputStream().write(payload);
                    client.shutdownOutput();
                    assertThat(client.getInputStream().read()).isEqualTo(-1);
                }
                byte[] got = backend.next();
                byte[] header = second == ProxyProtocol.V1
                        ? ascii("PROXY TCP4 127.0.0.1 127.0.0.1 " + src.getPort() + " " + a.localAddress().getPort()
                                + "\r\n")
                        : v2(src, a.localAddress());
                assertThat(hex(got)).as(first + " then " + second).isEqualTo(hex(concat(header, payload)));
                ProxyStats sa = Await.until("A idle", WITHIN, a::stats, x -> x.activeConnections() == 0);
                ProxyStats sb = Await.until("B idle", WITHIN, b::stats, x -> x.activeConnections() == 0);
                assertThat(sa.bytesClientToBackend()).isEqualTo(payload.length);
                assertThat(sb.bytesClientToBackend()).as("B counts the client's bytes, not A's header")
                        .isEqualTo(payload.length);
                assertThat(sb.proxyProtocolErrors()).isZero();
            }
        }
    }

    // ---------------------------------------------------------------- accepting

    /** Listener that records accepted addresses and summaries. */
    static final class Heard implements ConnectionListener {
        final BlockingQueue<InetSocketAddress> accepted = new LinkedBlockingQueue<>();
        final BlockingQueue<ConnectionSummary> closed = new LinkedBlockingQueue<>();

        @Override
        public void accepted(long id, InetSocketAddress client) {
            accepted.add(client);
        }

        @Override
        public void closed(ConnectionSummary summary) {
            closed.add(summary);
        }

        ConnectionSummary nextClosed() throws InterruptedException {
            ConnectionSummary s = closed.poll(10, TimeUnit.SECONDS);
            assertThat(s).as("closed within 10 s").isNotNull();
            return s;
        }
    }

    /**
     * Sends {@code header + data} in writes of {@code chunk} bytes (1 for byte-by-byte), then FIN;
     * returns what the client read back from the echo backend to EOF.
     */
    private static byte[] sendThrough(RunningProxy proxy, byte[] header, byte[] data, int chunk) throws Exception {
        try (Socket client = Sockets.connect(proxy.localAddress())) {
            client.setTcpNoDelay(true);
            byte[] all = concat(header, data);
            OutputStream out = client.getOutputStream();
            for (int i = 0; i < all.length; i += chunk) {
                out.write(all, i, Math.min(chunk, all.length - i));
                out.flush();
            }
            client.shutdownOutput();
            return Payloads.readToEof(client.getInputStream(), 1 << 24);
        }
    }

    private static byte[] v2Raw(int verCmd, int fam, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(16 + body.length);
        b.put(SIG).put((byte) verCmd).put((byte) fam).putShort((short) body.length).put(body);
        return b.array();
    }

    private static byte[] tlv(int type, int length) {
        ByteBuffer b = ByteBuffer.allocate(3 + length);
        b.put((byte) type).putShort((short) length);
        for (int i = 0; i < length; i++) {
            b.put((byte) i);
        }
        return b.array();
    }

    private static final byte[] INET_BLOCK = HexFormat.of().parseHex("c0000201c6336402c35001bb"); // 192.0.2.1:50000 -> 198.51.100.2:443
    private static final InetSocketAddress INET_SRC = new InetSocketAddress(ip("192.0.2.1"), 50000);

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] inet6Block() {
        ByteBuffer b = ByteBuffer.allocate(36);
        b.put(ip("2001:db8::1").getAddress()).put(ip("2001:db8::2").getAddress()).putShort((short) 1234)
                .putShort((short) 443);
        return b.array();
    }

    private static byte[] unixBlock() {
        byte[] b = new byte[216];
        byte[] path = ascii("/var/run/x.sock");
        System.arraycopy(path, 0, b, 0, path.length);
        System.arraycopy(path, 0, b, 108, path.length);
        return b;
    }

    @Test
    void validHeadersOfEveryKindAreAcceptedByteByByteAndInOneWrite() throws Exception {
        Heard heard = new Heard();
        byte[] data = Payloads.random(2000, 21);
        InetSocketAddress own = null;
        // header, expected client address (null: the connection's own)
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[] {ascii("PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\r\n"), INET_SRC});
        cases.add(new Object[] {ascii("PROXY TCP6 2001:db8::1 2001:db8::2 1234 443\r\n"),
            new InetSocketAddress(ip("2001:db8::1"), 1234)});
        cases.add(new Object[] {ascii("PROXY UNKNOWN\r\n"), own});
        cases.add(new Object[] {ascii("PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n"), own});
        cases.add(new Object[] {ascii("PROXY TCP4 192.0.2.1 198.51.100.2 0 65535\r\n"), new InetSocketAddress(ip("192.0.2.1"), 0)});
        cases.add(new Object[] {ascii("PROXY UNKNOWN " + "x".repeat(107 - 16) + "\r\n"), own}); // exactly 107
        cases.add(new Object[] {v2Raw(0x21, 0x11, INET_BLOCK), INET_SRC});
        cases.add(new Object[] {v2Raw(0x21, 0x21, inet6Block()), new InetSocketAddress(ip("2001:db8::1"), 1234)});
        cases.add(new Object[] {v2Raw(0x21, 0x12, INET_BLOCK), own}); // UDP4
        cases.add(new Object[] {v2Raw(0x21, 0x22, inet6Block()), own}); // UDP6
        cases.add(new Object[] {v2Raw(0x21, 0x31, unixBlock()), own}); // UNIX stream
        cases.add(new Object[] {v2Raw(0x21, 0x32, unixBlock()), own}); // UNIX dgram
        cases.add(new Object[] {v2Raw(0x21, 0x00, new byte[0]), own}); // UNSPEC
        cases.add(new Object[] {v2Raw(0x20, 0x00, new byte[0]), own}); // LOCAL
        cases.add(new Object[] {v2Raw(0x20, 0x11, INET_BLOCK), own}); // LOCAL with an address block
        cases.add(new Object[] {v2Raw(0x20, 0xFF, new byte[7]), own}); // LOCAL: family ignored
        cases.add(new Object[] {v2Raw(0x21, 0x11, concat(INET_BLOCK, tlv(0x04, 0), tlv(0xEE, 200))), INET_SRC}); // TLVs, > 107
        cases.add(new Object[] {v2Raw(0x21, 0x11, concat(INET_BLOCK, tlv(0x01, 1024 - 12 - 3))), INET_SRC}); // exactly 1040
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true).connectionListener(heard).start()) {
            int n = 0;
            for (Object[] c : cases) {
                byte[] header = (byte[]) c[0];
                for (int chunk : new int[] {1, 5, 1 << 20}) {
                    byte[] back = sendThrough(proxy, header, data, chunk);
                    String what = hex(header).substring(0, Math.min(60, header.length * 2)) + "... len " + header.length
                            + " chunk " + chunk;
                    assertThat(hex(back)).as("echo through " + what).isEqualTo(hex(data));
                    InetSocketAddress accepted = heard.accepted.poll(10, TimeUnit.SECONDS);
                    ConnectionSummary s = heard.nextClosed();
                    n++;
                    assertThat(s.end()).as(what).isEqualTo(End.COMPLETED);
                    assertThat(s.bytesClientToBackend()).as(what).isEqualTo(data.length);
                    if (c[1] != null) {
                        assertThat(accepted).as(what).isEqualTo(c[1]);
                        assertThat(s.client()).as(what).isEqualTo(c[1]);
                    } else {
                        assertThat(accepted.getAddress()).as(what).isEqualTo(Sockets.loopback());
                    }
                }
            }
            ProxyStats s = Await.until("all closed", WITHIN, proxy::stats, x -> x.activeConnections() == 0);
            assertThat(s.proxyProtocolErrors()).isZero();
            assertThat(s.totalConnections()).isEqualTo(n);
            assertThat(s.bytesClientToBackend()).isEqualTo((long) n * data.length);
        }
    }

    @Test
    void malformedHeadersAreRejectedAndCounted() throws Exception {
        Heard heard = new Heard();
        List<byte[]> bad = new ArrayList<>();
        // v1
        bad.add(ascii("proxy TCP4 192.0.2.1 198.51.100.2 50000 443\r\n"));
        bad.add(ascii("PROXY tcp4 192.0.2.1 198.51.100.2 50000 443\r\n"));
        bad.add(ascii("PROXY  TCP4 192.0.2.1 198.51.100.2 50000 443\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.1  198.51.100.2 50000 443\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 50000 443 \r\n"));
        bad.add(ascii("PROXY TCP4\t192.0.2.1 198.51.100.2 50000 443\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\rX\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 65536 443\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 50000 99999\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 050000 443\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 00 443\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 -1 443\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 +1 443\r\n"));
        bad.add(ascii("PROXY TCP4 ::1 198.51.100.2 50000 443\r\n"));
        bad.add(ascii("PROXY TCP6 192.0.2.1 ::1 50000 443\r\n"));
        bad.add(ascii("PROXY TCP6 ::1 192.0.2.1 50000 443\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.256 198.51.100.2 50000 443\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.02.1 198.51.100.2 50000 443\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.2 198.51.100.2 50000 443\r\n"));
        bad.add(ascii("PROXY TCP4 localhost 198.51.100.2 50000 443\r\n"));
        bad.add(ascii("PROXY TCP6 fe80::1%lo ::1 50000 443\r\n"));
        bad.add(ascii("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 50000 443\r\n"));
        bad.add(ascii("PROXY TCP6 ::1.2.3 ::1 50000 443\r\n"));
        bad.add(ascii("PROXY TCP6 1.2.3.4:5 ::1 50000 443\r\n"));
        bad.add(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 50000\r\n"));
        bad.add(ascii("PROXY UDP4 192.0.2.1 198.51.100.2 50000 443\r\n"));
        bad.add(ascii("PROXY \r\n"));
        bad.add(ascii("PROXY\r\n"));
        bad.add(ascii("PROXY UNKNOWN " + "x".repeat(107 - 15) + "\r\n")); // 108 bytes
        bad.add(concat(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 50000 4"), new byte[] {(byte) 0xB3}, ascii("\r\n")));
        // v2
        bad.add(v2Raw(0x11, 0x11, INET_BLOCK)); // version 1
        bad.add(v2Raw(0x31, 0x11, INET_BLOCK)); // version 3
        bad.add(v2Raw(0x22, 0x11, INET_BLOCK)); // command 2
        bad.add(v2Raw(0x2F, 0x11, INET_BLOCK)); // command 15
        bad.add(v2Raw(0x21, 0x41, INET_BLOCK)); // family 4
        bad.add(v2Raw(0x21, 0x13, INET_BLOCK)); // transport 3
        bad.add(v2Raw(0x21, 0x11, new byte[11])); // too short for INET
        bad.add(v2Raw(0x21, 0x21, new byte[35])); // too short for INET6
        bad.add(v2Raw(0x21, 0x31, new byte[215])); // too short for UNIX
        bad.add(v2Raw(0x21, 0x11, concat(INET_BLOCK, new byte[] {1}))); // 1 byte of TLV
        bad.add(v2Raw(0x21, 0x11, concat(INET_BLOCK, new byte[] {1, 0}))); // 2 bytes of TLV
        bad.add(v2Raw(0x21, 0x11, concat(INET_BLOCK, new byte[] {1, 0, 5, 1, 2}))); // TLV running past the end
        bad.add(v2Raw(0x21, 0x11, concat(INET_BLOCK, tlv(0x01, 1024 - 12 - 3 + 1)))); // 1041 bytes
        bad.add(concat(SIG, new byte[] {0x21, 0x11, (byte) 0xFF, (byte) 0xFF})); // 65535 length
        bad.add(HexFormat.of().parseHex("0d0a0d0a000d0a515549540b2111000c")); // bad signature
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true).connectionListener(heard)
                        .proxyProtocolTimeout(Duration.ofSeconds(5)).start()) {
            List<String> accepted = new ArrayList<>();
            int i = 0;
            for (byte[] b : bad) {
                String what = "#" + i++ + " " + new String(b, StandardCharsets.ISO_8859_1).replace("\r", "\\r")
                        .replace("\n", "\\n");
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    // the header then some data, so that a complete-looking header is not just waiting
                    client.getOutputStream().write(concat(b, ascii("\r\nhello hello hello")));
                    client.shutdownOutput();
                    Object outcome = Sockets.readOutcome(client);
                    ConnectionSummary s = heard.nextClosed();
                    if (s.end() != End.PROXY_PROTOCOL_ERROR) {
                        accepted.add(what + " -> " + s.end() + " (read " + outcome + ")");
                    }
                }
            }
            assertThat(accepted).as("malformed headers that were not rejected as PROXY protocol errors").isEmpty();
            ProxyStats s = Await.until("all closed", WITHIN, proxy::stats, x -> x.activeConnections() == 0);
            assertThat(s.proxyProtocolErrors()).isEqualTo(bad.size());
            assertThat(echo.connections()).isZero();
        }
    }

    /** The header then FIN at once: a connection with no data, relayed and completed. */
    @Test
    void aHeaderFollowedByAnImmediateFinIsACompletedEmptyConnection() throws Exception {
        Heard heard = new Heard();
        try (Recording backend = new Recording();
                RunningProxy proxy = Loopback.proxyTo(backend.server).acceptProxyProtocol(true)
                        .connectionListener(heard).start()) {
            for (byte[] header : List.of(ascii("PROXY TCP4 192.0.2.1 198.51.100.2 50000 443\r\n"),
                    v2Raw(0x21, 0x11, INET_BLOCK), v2Raw(0x21, 0x11, concat(INET_BLOCK, tlv(0xEE, 500))))) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    client.getOutputStream().write(header);
                    client.shutdownOutput();
                    assertThat(Sockets.readOutcome(client)).isEqualTo(-1);
                }
                assertThat(backend.next()).isEmpty();
                ConnectionSummary s = heard.nextClosed();
                assertThat(s.end()).isEqualTo(End.COMPLETED);
                assertThat(s.client()).isEqualTo(INET_SRC);
                assertThat(s.bytesClientToBackend()).isZero();
            }
        }
    }

    /** Data in the same segment right after a long (TLV) v2 header, then FIN: relayed intact. */
    @Test
    void dataRightAfterLongHeadersIsRelayedIntact() throws Exception {
        try (Recording backend = new Recording();
                RunningProxy proxy = Loopback.proxyTo(backend.server).acceptProxyProtocol(true)
                        .sendProxyProtocol(ProxyProtocol.V2).bufferSize(1024).start()) {
            for (int tlvLength : new int[] {0, 50, 74, 75, 76, 77, 78, 91, 200, 1009}) {
                byte[] header = v2Raw(0x21, 0x11, tlvLength == 0 ? INET_BLOCK : concat(INET_BLOCK, tlv(0xEE, tlvLength)));
                byte[] data = Payloads.random(100_000, tlvLength);
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    client.getOutputStream().write(concat(header, data));
                    client.shutdownOutput();
                    assertThat(Sockets.readOutcome(client)).isEqualTo(-1);
                }
                byte[] expected = concat(v2(INET_SRC, new InetSocketAddress(ip("198.51.100.2"), 443)), data);
                assertThat(hex(backend.next())).as("TLV of " + tlvLength).isEqualTo(hex(expected));
            }
        }
    }

    /**
     * proxy-protocol.txt 2.1: "IPv6 addresses must be indicated as series of 4 hexadecimal digits
     * (upper or lower case) delimited by colons", and IPv4 numbers have no heading zeroes. The
     * JDK's literal parser is more lenient than that.
     */
    @Test
    void v1Ipv6AddressesOutsideTheSpecifiedFormAreRejected() throws Exception {
        Heard heard = new Heard();
        List<String> bad = List.of(
                "PROXY TCP6 00000::1 ::1 1 2\r\n",
                "PROXY TCP6 000000000::1 ::1 1 2\r\n",
                "PROXY TCP6 ::ffff:01.2.3.4 ::1 1 2\r\n",
                "PROXY TCP6 ::1 ::ffff:1.2.3.04 1 2\r\n");
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true).connectionListener(heard).start()) {
            List<String> accepted = new ArrayList<>();
            for (String b : bad) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    client.getOutputStream().write(ascii(b + "hi"));
                    client.shutdownOutput();
                    Sockets.readOutcome(client);
                }
                ConnectionSummary s = heard.nextClosed();
                if (s.end() != End.PROXY_PROTOCOL_ERROR) {
                    accepted.add(b.trim() + " -> " + s.end() + ", client " + s.client());
                }
            }
            assertThat(accepted).as("v1 headers with malformed IPv6 text that were accepted").isEmpty();
        }
    }

    /** Frozen client-to-backend: the backend gets the header alone; unfrozen, the data and FIN follow. */
    @Test
    void aFrozenConnectionHoldsTheClientsBytesButTheHeaderGoesFirstAndOnce() throws Exception {
        try (Recording backend = new Recording();
                RunningProxy proxy = Loopback.proxyTo(backend.server).sendProxyProtocol(ProxyProtocol.V1).start()) {
            var handle = proxy.addFault(Faults.freeze(), FaultTarget.all().direction(FlowDirection.CLIENT_TO_BACKEND));
            InetSocketAddress src;
            byte[] payload = Payloads.random(50_000, 3);
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                src = (InetSocketAddress) client.getLocalSocketAddress();
                client.getOutputStream().write(payload);
                client.shutdownOutput();
                proxy.awaitBytes(FlowDirection.CLIENT_TO_BACKEND, 0, WITHIN);
                Await.until("connected", WITHIN, () -> proxy.connections().size() == 1
                        && proxy.connections().get(0).backend() != null);
                assertThat(backend.received).isEmpty();
                assertThat(proxy.stats().bytesClientToBackend()).isZero();
                handle.close();
                assertThat(Sockets.readOutcome(client)).isEqualTo(-1);
            }
            String expected = "PROXY TCP4 127.0.0.1 127.0.0.1 " + src.getPort() + " " + proxy.localAddress().getPort()
                    + "\r\n";
            assertThat(hex(backend.next())).isEqualTo(hex(concat(ascii(expected), payload)));
            ProxyStats s = Await.until("idle", WITHIN, proxy::stats, x -> x.activeConnections() == 0);
            assertThat(s.bytesClientToBackend()).isEqualTo(payload.length);
        }
    }

    /** The buffer budget spent: headers and data still go out exactly, and the bytes are counted exactly. */
    @Test
    void underBufferPressureHeadersAndBytesStayExact() throws Exception {
        int n = 12;
        try (Recording backend = new Recording();
                RunningProxy proxy = Loopback.proxyTo(backend.server).sendProxyProtocol(ProxyProtocol.V2)
                        .acceptProxyProtocol(true).bufferSize(1024).maxBufferMemory(2048).reactorThreads(1).start()) {
            List<CompletableFuture<Void>> clients = new ArrayList<>();
            long total = 0;
            for (int i = 0; i < n; i++) {
                int id = i;
                int size = 100_000 + i * 1234;
                total += size;
                clients.add(Async.start("c" + i, () -> {
                    try (Socket client = Sockets.connect(proxy.localAddress())) {
                        byte[] header = ascii("PROXY TCP4 192.0.2." + (id + 1) + " 198.51.100.2 " + (1000 + id) + " 443\r\n");
                        client.getOutputStream().write(concat(header, ("#" + id + "#").getBytes(StandardCharsets.US_ASCII),
                                Payloads.random(size - ("#" + id + "#").length(), id)));
                        client.shutdownOutput();
                        if (Sockets.readOutcome(client) instanceof Integer r && r == -1) {
                            return null;
                        }
                        throw new AssertionError("no EOF");
                    }
                }));
            }
            for (var c : clients) {
                c.get(60, TimeUnit.SECONDS);
            }
            List<String> wrong = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] got = backend.next();
                ByteBuffer b = ByteBuffer.wrap(got);
                byte[] sig = new byte[12];
                b.get(sig);
                int verCmd = b.get() & 0xFF;
                int fam = b.get() & 0xFF;
                int len = b.getShort() & 0xFFFF;
                byte[] srcIp = new byte[4];
                b.get(srcIp);
                b.get(new byte[4]);
                int sport = b.getShort() & 0xFFFF;
                b.getShort();
                int id = sport - 1000;
                String tag = "#" + id + "#";
                byte[] expectedBody = concat(tag.getBytes(StandardCharsets.US_ASCII),
                        Payloads.random(100_000 + id * 1234 - tag.length(), id));
                byte[] body = new byte[b.remaining()];
                b.get(body);
                if (!Arrays.equals(sig, SIG) || verCmd != 0x21 || fam != 0x11 || len != 12
                        || srcIp[3] != (byte) (id + 1) || !Arrays.equals(body, expectedBody)) {
                    wrong.add("connection with source port " + sport + ": " + got.length + " bytes");
                }
            }
            assertThat(wrong).isEmpty();
            ProxyStats s = Await.until("idle", WITHIN, proxy::stats, x -> x.activeConnections() == 0);
            assertThat(s.bytesClientToBackend()).isEqualTo(total);
            assertThat(s.bufferedBytes()).isZero();
            assertThat(s.proxyProtocolErrors()).isZero();
        }
    }

    /** Mixed families passed on as v2: the IPv4 side as IPv4-mapped IPv6, family 0x21, 36 bytes. */
    @Test
    void mixedFamiliesArePassedOnAsV2WithIpv4MappedAddresses() throws Exception {
        try (Recording backend = new Recording();
                RunningProxy proxy = Loopback.proxyTo(backend.server).acceptProxyProtocol(true)
                        .sendProxyProtocol(ProxyProtocol.V2).start()) {
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                client.getOutputStream().write(ascii("PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 2\r\nz"));
                client.shutdownOutput();
                assertThat(client.getInputStream().read()).isEqualTo(-1);
            }
            ByteBuffer b = ByteBuffer.allocate(52);
            b.put(SIG).put((byte) 0x21).put((byte) 0x21).putShort((short) 36);
            b.put(HexFormat.of().parseHex("00000000000000000000ffffc0000201"));
            b.put(ip("2001:db8::2").getAddress()).putShort((short) 1).putShort((short) 2);
            assertThat(hex(backend.next())).isEqualTo(hex(concat(b.array(), ascii("z"))));
        }
    }
}
