package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.HealthCheck;
import io.github.tcpproxy.ProxyProtocol;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our PROXY protocol against the reference implementation, a real HAProxy ({@link
 * HaproxyProcess}): HAProxy reads the headers we send, we read the headers HAProxy sends, and
 * HAProxy takes our health checks' headers that name no client. Loopback only; skipped when
 * haproxy is not installed, unless {@code TCPPROXY_REQUIRE_HAPROXY=1}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HaproxyInteropTest {
    private static final int SIZE = 1 << 20;
    private static final long UP_SEED = 11;
    private static final long DOWN_SEED = 12;
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] V2_SIGNATURE = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /** An HAProxy log line for a connection whose handshake failed: "client [date] frontend/bind: reason". */
    private static final Pattern CONNECTION_ERROR = Pattern.compile("^\\S+ \\[[^\\]]+\\] fe/checks: .*");
    /** An HAProxy {@code option tcplog} line for a connection that became a session: "client [date] fe be/s1 ...". */
    private static final Pattern SESSION = Pattern.compile("^\\S+ \\[[^\\]]+\\] fe be/s1 .*");

    @TempDir
    Path dir;

    enum Family {
        IPV4, IPV6;

        InetAddress loopback() {
            try {
                return this == IPV4 ? Sockets.loopback() : InetAddress.getByName("::1");
            } catch (IOException e) {
                throw new AssertionError("a literal", e);
            }
        }

        /** The loopback address and {@code port} as HAProxy's {@code bind} line takes them. */
        String haproxy(int port) {
            return (this == IPV4 ? "127.0.0.1:" : "ipv6@::1:") + port;
        }

        void assumeAvailable() {
            if (this == IPV6) {
                try (ServerSocket s = new ServerSocket(0, 1, loopback())) {
                    assertThat(s.getLocalPort()).isPositive();
                } catch (IOException e) {
                    assumeTrue(false, "no IPv6 loopback (::1) on this machine: " + e);
                }
            }
        }
    }

    static Stream<Arguments> versionsAndFamilies() {
        return Stream.of(ProxyProtocol.V1, ProxyProtocol.V2)
                .flatMap(v -> Stream.of(Family.values()).map(f -> Arguments.of(v, f)));
    }

    static Stream<Arguments> haproxyOptionsAndFamilies() {
        // The last adds TLVs after the addresses: a CRC32c of the header and the stream's unique id.
        return Stream.of("send-proxy", "send-proxy-v2", "send-proxy-v2 proxy-v2-options crc32c,unique-id")
                .flatMap(o -> Stream.of(Family.values()).map(f -> Arguments.of(o, f)));
    }

    /**
     * Client, our proxy sending the header, HAProxy with {@code accept-proxy} and {@code
     * send-proxy-v2} on its server line, a backend that records HAProxy's header: HAProxy must
     * have read from ours the address and port the client connected from and the address and port
     * it connected to (our listen address), and the bytes after the header must arrive intact,
     * both ways.
     */
    @ParameterizedTest(name = "our {0} header over {1}")
    @MethodSource("versionsAndFamilies")
    void haproxyReadsTheClientsAddressesFromOurHeader(ProxyProtocol version, Family family) throws Exception {
        String binary = HaproxyProcess.binary();
        family.assumeAvailable();
        CompletableFuture<V2Header> header = new CompletableFuture<>();
        CompletableFuture<Payloads.Received> up = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
            try {
                InputStream in = socket.getInputStream();
                header.complete(V2Header.read(in));
                up.complete(Payloads.drain(in, 2L * SIZE));
                Payloads.write(socket.getOutputStream(), DOWN_SEED, SIZE);
                socket.shutdownOutput();
            } catch (Throwable t) {
                header.completeExceptionally(t);
                up.completeExceptionally(t);
                throw t;
            }
        });
                HaproxyProcess haproxy = HaproxyProcess.start(binary, dir, port -> ""
                        + "frontend fe\n"
                        + "    bind 127.0.0.1:" + port + " accept-proxy\n"
                        + "    default_backend be\n"
                        + "\n"
                        + "backend be\n"
                        + "    server s1 127.0.0.1:" + backend.port() + " send-proxy-v2\n");
                RunningProxy proxy = TcpProxy.builder()
                        .listen(new InetSocketAddress(family.loopback(), 0))
                        .backend(Backend.of(haproxy.address()))
                        .sendProxyProtocol(version)
                        .drainTimeout(Duration.ofSeconds(3))
                        .start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            String sent;
            Payloads.Received down;
            try {
                sent = Payloads.write(client.getOutputStream(), UP_SEED, SIZE);
                client.shutdownOutput();
                down = Payloads.drain(client.getInputStream(), 2L * SIZE);
            } catch (IOException e) {
                throw failed(e, haproxy);
            }

            InetSocketAddress from = (InetSocketAddress) client.getLocalSocketAddress();
            assertThat(await(header, "header from HAProxy", haproxy)).as("the header HAProxy sent on, having read ours")
                    .isEqualTo(V2Header.proxy(from, proxy.localAddress()));
            assertThat(await(up, "the bytes after the header", haproxy)).as("client to backend, after the header")
                    .isEqualTo(new Payloads.Received(SIZE, sent));
            assertThat(down).as("backend to client").isEqualTo(new Payloads.Received(SIZE, Payloads.sha256(DOWN_SEED, SIZE)));
            backend.assertNoFailures();
        }
    }

    /**
     * Client, HAProxy with {@code send-proxy} or {@code send-proxy-v2} on its server line, our
     * proxy accepting the header and sending a v1 header on, a backend that records ours: our
     * listener and our onward header must name the client's address and port, not HAProxy's, and
     * the address and port the client connected to (HAProxy's frontend); the bytes after the
     * header must arrive intact, both ways.
     */
    @ParameterizedTest(name = "HAProxy's {0} over {1}")
    @MethodSource("haproxyOptionsAndFamilies")
    void weReadTheClientsAddressesFromHaproxysHeader(String sendProxy, Family family) throws Exception {
        String binary = HaproxyProcess.binary();
        family.assumeAvailable();
        CompletableFuture<String> onward = new CompletableFuture<>();
        CompletableFuture<InetSocketAddress> accepted = new CompletableFuture<>();
        ConnectionListener listener = new ConnectionListener() {
            @Override
            public void accepted(long id, InetSocketAddress client) {
                accepted.complete(client);
            }
        };
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
            try {
                onward.complete(readV1Line(socket.getInputStream()));
                socket.getInputStream().transferTo(socket.getOutputStream());
                socket.shutdownOutput();
            } catch (Throwable t) {
                onward.completeExceptionally(t);
                throw t;
            }
        });
                RunningProxy proxy = TcpProxy.builder()
                        .listen(new InetSocketAddress(Sockets.loopback(), 0))
                        .backend(backend.backend())
                        .acceptProxyProtocol(true)
                        .sendProxyProtocol(ProxyProtocol.V1)
                        .connectionListener(listener)
                        .drainTimeout(Duration.ofSeconds(3))
                        .start();
                HaproxyProcess haproxy = HaproxyProcess.start(binary, dir, port -> ""
                        + "frontend fe\n"
                        + "    bind " + family.haproxy(port) + "\n"
                        + "    unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid\n"
                        + "    default_backend be\n"
                        + "\n"
                        + "backend be\n"
                        + "    server s1 127.0.0.1:" + proxy.localAddress().getPort() + " " + sendProxy + "\n");
                Socket client = Sockets.connect(new InetSocketAddress(family.loopback(), haproxy.port()))) {
            CompletableFuture<String> sent = Async.start("interop-client-writer", () -> {
                String sha = Payloads.write(client.getOutputStream(), UP_SEED, SIZE);
                client.shutdownOutput();
                return sha;
            });
            Payloads.Received echoed;
            try {
                echoed = Payloads.drain(client.getInputStream(), 2L * SIZE);
            } catch (IOException e) {
                throw failed(e, haproxy);
            }

            InetSocketAddress from = (InetSocketAddress) client.getLocalSocketAddress();
            InetSocketAddress to = (InetSocketAddress) client.getRemoteSocketAddress();
            assertThat(await(accepted, "ConnectionListener.accepted", haproxy)).as("ConnectionListener.accepted")
                    .isEqualTo(from);
            String tcp = family == Family.IPV4 ? "TCP4 127.0.0.1 127.0.0.1 " : "TCP6 ::1 ::1 ";
            assertThat(await(onward, "our header sent on", haproxy)).as("our header sent on")
                    .isEqualTo("PROXY " + tcp + from.getPort() + " " + to.getPort() + "\r\n");
            assertThat(echoed).as("the client's bytes, through HAProxy, us and an echo, and back")
                    .isEqualTo(new Payloads.Received(SIZE, sent.get(WAIT.toSeconds(), TimeUnit.SECONDS)));
            assertThat(proxy.stats().proxyProtocolErrors()).as("our PROXY protocol errors").isZero();
            backend.assertNoFailures();
        }
    }

    /**
     * Our health checks against an HAProxy frontend with {@code accept-proxy}: HAProxy must take
     * each check's header (v1 {@code PROXY UNKNOWN}, v2 {@code LOCAL}) without a PROXY protocol
     * error. The detector: HAProxy logs every connection it accepted, as a session ({@code option
     * tcplog}) or, when the handshake failed, as a connection error with the reason, and its
     * frontend counts connections ({@code conn_tot}) and sessions ({@code stot}, handshakes
     * passed) apart. One deliberately broken header first shows that the detector flags a
     * rejected header.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProxyProtocol.class, names = {"V1", "V2"})
    void haproxyAcceptsOurHealthChecksHeaders(ProxyProtocol version) throws Exception {
        String binary = HaproxyProcess.binary();
        try (EchoServer echo = EchoServer.start();
                HaproxyProcess haproxy = HaproxyProcess.start(binary, dir, port -> ""
                        + "frontend fe\n"
                        + "    bind 127.0.0.1:" + port + " accept-proxy name checks\n"
                        + "    default_backend be\n"
                        + "\n"
                        + "backend be\n"
                        + "    server s1 127.0.0.1:" + echo.port() + "\n")) {
            // The detector works: a broken header is flagged, in the log and by the counters.
            try (Socket bad = Sockets.connect(haproxy.address())) {
                bad.getOutputStream().write("PROXY TCP4 not-an-address 127.0.0.1 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(Sockets.readOutcome(bad)).as("HAProxy ends a connection whose header is broken")
                        .isNotInstanceOf(SocketTimeoutException.class);
            }
            Snapshot broken = Await.until("HAProxy logged its one connection", WAIT, () -> Snapshot.of(haproxy),
                    Snapshot::settled);
            assertThat(broken.errors()).as("HAProxy's connection errors").singleElement().asString()
                    .contains("PROXY protocol");
            assertThat(broken.connections() - broken.sessions()).as("handshakes failed").isEqualTo(1);

            int checks = 5;
            try (RunningProxy proxy = TcpProxy.builder()
                    .listen(new InetSocketAddress(Sockets.loopback(), 0))
                    .backend(Backend.of(haproxy.address()))
                    .sendProxyProtocol(version)
                    .healthCheck(HealthCheck.tcp().withInterval(Duration.ofMillis(50)).withRise(1).withFall(1))
                    .drainTimeout(Duration.ofSeconds(3))
                    .start()) {
                Await.until(checks + " health checks accepted by HAProxy", WAIT,
                        () -> haproxy.statNumber("fe", "FRONTEND", "conn_tot") >= 1 + checks);
                assertThat(proxy.backends().get(0).up()).as("HAProxy, as our checks see it").isTrue();
                // Stops the checks; one under way still ends normally (a close of the proxy would
                // cut it short, and HAProxy would rightly log a connection without a header).
                assertThat(proxy.removeBackend(haproxy.address())).isTrue();
                Snapshot after = Await.until("HAProxy logged each connection it accepted", WAIT,
                        () -> Snapshot.of(haproxy), Snapshot::settled);
                assertThat(after.errors()).as("HAProxy's connection errors: the broken header's alone")
                        .isEqualTo(broken.errors());
                assertThat(after.connections()).as("connections").isGreaterThanOrEqualTo(1 + checks);
                assertThat(after.connections() - after.sessions()).as("handshakes failed").isEqualTo(1);
            }
        }
    }

    /**
     * HAProxy's frontend counters, then its log: settled when each connection counted has been
     * logged, which HAProxy does when it ends (a session) or fails its handshake (an error).
     */
    private record Snapshot(long connections, long sessions, List<String> entries, List<String> errors) {
        static Snapshot of(HaproxyProcess haproxy) {
            Map<String, String> fe = haproxy.stat("fe", "FRONTEND");
            List<String> log = haproxy.log();
            return new Snapshot(Long.parseLong(fe.get("conn_tot")), Long.parseLong(fe.get("stot")),
                    log.stream().filter(l -> SESSION.matcher(l).matches() || CONNECTION_ERROR.matcher(l).matches())
                            .toList(),
                    log.stream().filter(l -> CONNECTION_ERROR.matcher(l).matches()).toList());
        }

        boolean settled() {
            return entries.size() == connections;
        }
    }

    /** The client's exchange failed: HAProxy's log may say why it closed the connection. */
    private static AssertionError failed(IOException e, HaproxyProcess haproxy) {
        return new AssertionError("the client's exchange failed: " + e + "; HAProxy's output:\n" + haproxy.output(), e);
    }

    /** The future's value, or a failure that quotes HAProxy's output (its log says why it closed a connection). */
    private static <T> T await(CompletableFuture<T> future, String what, HaproxyProcess haproxy) throws Exception {
        try {
            return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no " + what + " within " + WAIT.toSeconds() + " s; HAProxy's output:\n"
                    + haproxy.output(), e);
        }
    }

    /** Reads a v1 header line, CRLF included, byte by byte so as not to read past it. */
    private static String readV1Line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (line.size() < 108) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("end of stream inside the v1 header, after '" + line + "'");
            }
            line.write(b);
            byte[] got = line.toByteArray();
            if (got.length >= 2 && got[got.length - 2] == '\r' && got[got.length - 1] == '\n') {
                return new String(got, StandardCharsets.US_ASCII);
            }
        }
        throw new IOException("no CRLF within 108 bytes: " + line);
    }

    /**
     * A v2 header as HAProxy sends it, decoded here independently of the engine's parser.
     *
     * @param command the version and command byte (0x21: version 2, PROXY)
     * @param family the family and transport byte (0x11 TCP over IPv4, 0x21 over IPv6)
     * @param tlvs the TLV bytes after the addresses, in hex (empty: none)
     */
    record V2Header(int command, int family, InetSocketAddress source, InetSocketAddress destination, String tlvs) {

        static V2Header proxy(InetSocketAddress source, InetSocketAddress destination) {
            int family = source.getAddress() instanceof Inet6Address ? 0x21 : 0x11;
            return new V2Header(0x21, family, source, destination, "");
        }

        /** Reads exactly one header: the fixed 16 bytes, then the length they give. */
        static V2Header read(InputStream in) throws IOException {
            byte[] fixed = Payloads.readFully(in, 16);
            if (!Arrays.equals(Arrays.copyOf(fixed, 12), V2_SIGNATURE)) {
                throw new IOException("not a v2 header: " + HexFormat.of().formatHex(fixed));
            }
            int length = ((fixed[14] & 0xFF) << 8) | (fixed[15] & 0xFF);
            ByteBuffer rest = ByteBuffer.wrap(Payloads.readFully(in, length));
            int family = fixed[13] & 0xFF;
            int size = switch (family) {
                case 0x11 -> 4;
                case 0x21 -> 16;
                default -> throw new IOException("v2 header with family byte 0x" + Integer.toHexString(family)
                        + ": " + HexFormat.of().formatHex(fixed) + HexFormat.of().formatHex(rest.array()));
            };
            InetAddress src = address(rest, size);
            InetAddress dst = address(rest, size);
            int sport = rest.getShort() & 0xFFFF;
            int dport = rest.getShort() & 0xFFFF;
            byte[] tlvs = new byte[rest.remaining()];
            rest.get(tlvs);
            return new V2Header(fixed[12] & 0xFF, family, new InetSocketAddress(src, sport),
                    new InetSocketAddress(dst, dport), HexFormat.of().formatHex(tlvs));
        }

        private static InetAddress address(ByteBuffer in, int size) throws IOException {
            byte[] raw = new byte[size];
            in.get(raw);
            return InetAddress.getByAddress(raw);
        }
    }
}
