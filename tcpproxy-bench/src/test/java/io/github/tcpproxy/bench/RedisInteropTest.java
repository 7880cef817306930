package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Redis clients through the proxy to a real {@code redis-server} ({@link RedisProcess}):
 * {@code redis-benchmark}, {@code redis-cli} and a RESP client written here on plain sockets,
 * with binary values checked byte for byte, a pipelined burst checked reply by reply, and the
 * server ending connections ({@code QUIT}, {@code CLIENT KILL}) passed on. The proxy has the
 * default settings. Loopback only; skipped when redis-server is not installed, unless
 * {@code TCPPROXY_REQUIRE_REDIS=1}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long PROGRAM_MILLIS = 30_000;
    /** Sizes of the values SET through the proxy: empty, tiny, around a 64 KiB buffer, and 1 MiB. */
    private static final int[] SIZES = {0, 1, 2, 1000, 65_535, 65_536 + 7, 1 << 20};
    /** A value that looks like RESP framing, to be stored and read back as data. */
    private static final byte[] FRAMING = "\r\n$-1\r\n*2\r\n+OK\r\n\0\n\r".getBytes(StandardCharsets.ISO_8859_1);
    private static final int BURST = 10_000;
    private static final Pattern SET_LINE = Pattern.compile("(?m)^SET: [0-9.]+ requests per second");
    private static final Pattern GET_LINE = Pattern.compile("(?m)^GET: [0-9.]+ requests per second");

    @TempDir
    Path dir;

    /**
     * {@code redis-benchmark} SET and GET, pipelined on 8 connections, must finish and report
     * both; values SET (pipelined, in one write) by our RESP client must read back byte for byte,
     * through {@code redis-cli GET} and through our client's pipelined GETs, and the proxy must
     * have counted exactly the bytes our client sent and received; 10,000 pipelined {@code INCR}s
     * must be answered 1 to 10,000, in order.
     */
    @Test
    void realClientsGetTheirRepliesIntactThroughTheProxy() throws Exception {
        RedisProcess.Binaries binaries = RedisProcess.binaries();
        try (RedisProcess redis = RedisProcess.start(binaries, dir);
                RunningProxy proxy = proxyTo(redis)) {
            int port = proxy.localAddress().getPort();

            String bench = run("redis-benchmark", List.of(binaries.benchmark(), "-h", "127.0.0.1", "-p",
                    Integer.toString(port), "-t", "set,get", "-n", "20000", "-P", "16", "-c", "8", "-q"), redis);
            // -q rewrites a progress line with \r until the result: each of those on its own line.
            String lines = bench.replace('\r', '\n');
            assertThat(SET_LINE.matcher(lines).find()).as("a SET result in redis-benchmark's output:\n" + bench).isTrue();
            assertThat(GET_LINE.matcher(lines).find()).as("a GET result in redis-benchmark's output:\n" + bench).isTrue();
            awaitNoConnection(proxy);

            List<byte[]> values = new ArrayList<>();
            for (int i = 0; i < SIZES.length; i++) {
                values.add(Payloads.random(SIZES[i], 100 + i));
            }
            values.add(FRAMING);
            ProxyStats before = proxy.stats();
            long sent;
            long received;
            try (Socket socket = Sockets.connect(proxy.localAddress())) {
                Resp resp = new Resp(socket);
                for (int i = 0; i < values.size(); i++) {
                    resp.send(bytes("SET"), key(i), values.get(i));
                }
                resp.flush();
                for (int i = 0; i < values.size(); i++) {
                    assertThat(resp.reply()).as("reply to SET " + new String(key(i), StandardCharsets.US_ASCII))
                            .isEqualTo("+OK");
                }
                for (int i = 0; i < values.size(); i++) {
                    resp.send(bytes("GET"), key(i));
                }
                resp.flush();
                for (int i = 0; i < values.size(); i++) {
                    assertThat(digest(resp.reply())).as("GET of value " + i + ", by our client")
                            .isEqualTo(digest(values.get(i)));
                }
                sent = resp.sent;
                received = resp.received;
            }
            ProxyStats after = awaitNoConnection(proxy);
            assertThat(after.bytesClientToBackend() - before.bytesClientToBackend())
                    .as("bytes counted client to backend: exactly our client's").isEqualTo(sent);
            assertThat(after.bytesBackendToClient() - before.bytesBackendToClient())
                    .as("bytes counted backend to client: exactly our client's").isEqualTo(received);

            for (int i = 0; i < values.size(); i++) {
                // redis-cli --raw prints a bulk string's bytes as they are, then its delimiter, \n.
                byte[] got = runBytes("redis-cli", List.of(binaries.cli(), "-h", "127.0.0.1", "-p",
                        Integer.toString(port), "--raw", "GET", new String(key(i), StandardCharsets.US_ASCII)), redis);
                ByteArrayOutputStream expected = new ByteArrayOutputStream();
                expected.write(values.get(i));
                expected.write('\n');
                assertThat(digest(got)).as("redis-cli GET of value " + i + " (" + values.get(i).length + " bytes)")
                        .isEqualTo(digest(expected.toByteArray()));
            }

            try (Socket socket = Sockets.connect(proxy.localAddress())) {
                Resp resp = new Resp(socket);
                CompletableFuture<Void> writer = Async.start("redis-burst-writer", () -> {
                    for (int i = 0; i < BURST; i++) {
                        resp.send(bytes("INCR"), bytes("burst"));
                    }
                    resp.flush();
                    return null;
                });
                for (int i = 1; i <= BURST; i++) {
                    Object reply = resp.reply();
                    if (!Long.valueOf(i).equals(reply)) {
                        assertThat(reply).as("reply " + i + " of " + BURST + " pipelined INCRs").isEqualTo((long) i);
                    }
                }
                writer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }

            ProxyStats end = awaitNoConnection(proxy);
            assertThat(end.bytesClientToBackend()).as("bytes client to backend").isGreaterThan(sent);
            assertThat(end.bytesBackendToClient()).as("bytes backend to client").isGreaterThan(received);
            assertThat(end.totalConnections()).as("connections: benchmark's, ours, redis-cli's")
                    .isGreaterThanOrEqualTo(8 + 1 + values.size() + 1);
            assertThat(end.bufferedBytes()).as("bytes still buffered").isZero();
        }
    }

    /**
     * {@code QUIT}: redis-server answers {@code +OK} and closes; the client must then read the
     * end of the stream (a FIN passed on, not a reset or silence), and once it closes too the
     * proxy must have no connection left.
     */
    @Test
    void quitFromTheServerIsPassedOn() throws Exception {
        RedisProcess.Binaries binaries = RedisProcess.binaries();
        try (RedisProcess redis = RedisProcess.start(binaries, dir);
                RunningProxy proxy = proxyTo(redis)) {
            try (Socket socket = Sockets.connect(proxy.localAddress())) {
                Resp resp = new Resp(socket);
                resp.send(bytes("PING"));
                resp.send(bytes("QUIT"));
                resp.flush();
                assertThat(resp.reply()).as("PING").isEqualTo("+PONG");
                assertThat(resp.reply()).as("QUIT").isEqualTo("+OK");
                assertThat(resp.outcome()).as("after QUIT: the end of the stream").isEqualTo(-1);
            }
            ProxyStats end = awaitNoConnection(proxy);
            assertThat(end.totalConnections()).isEqualTo(1);
            assertThat(end.bytesBackendToClient()).as("bytes backend to client: +PONG, +OK").isEqualTo(12);
        }
    }

    /**
     * {@code CLIENT KILL ID}, sent by {@code redis-cli} through the proxy, of another client's
     * connection through the proxy: redis-server closes that connection, and its client must read
     * the end of the stream; once it closes too the proxy must have no connection left.
     */
    @Test
    void clientKillFromTheServerIsPassedOn() throws Exception {
        RedisProcess.Binaries binaries = RedisProcess.binaries();
        try (RedisProcess redis = RedisProcess.start(binaries, dir);
                RunningProxy proxy = proxyTo(redis)) {
            try (Socket victim = Sockets.connect(proxy.localAddress())) {
                Resp resp = new Resp(victim);
                resp.send(bytes("CLIENT"), bytes("ID"));
                resp.flush();
                Object id = resp.reply();
                assertThat(id).as("CLIENT ID").isInstanceOf(Long.class);
                String killed = new String(runBytes("redis-cli", List.of(binaries.cli(), "-h", "127.0.0.1", "-p",
                        Integer.toString(proxy.localAddress().getPort()), "CLIENT", "KILL", "ID", id.toString()), redis),
                        StandardCharsets.UTF_8);
                assertThat(killed).as("redis-cli CLIENT KILL ID " + id).isEqualTo("1\n");
                assertThat(resp.outcome()).as("after CLIENT KILL: the end of the stream").isEqualTo(-1);
            }
            ProxyStats end = awaitNoConnection(proxy);
            assertThat(end.totalConnections()).as("the victim's and redis-cli's").isEqualTo(2);
        }
    }

    /** A proxy with the default settings on 127.0.0.1, port 0, in front of {@code redis}. */
    private static RunningProxy proxyTo(RedisProcess redis) {
        return TcpProxy.builder().listen(new InetSocketAddress(Sockets.loopback(), 0))
                .backend(Backend.of(redis.address())).start();
    }

    /** Waits until the proxy has no connection open; its stats then. */
    private static ProxyStats awaitNoConnection(RunningProxy proxy) {
        return Await.until("no connection open through the proxy", WAIT, proxy::stats,
                s -> s.activeConnections() == 0);
    }

    /** Runs a program to its end (bounded) and returns its output; it must exit 0. */
    private String run(String name, List<String> command, RedisProcess redis) throws IOException {
        return new String(runBytes(name, command, redis), StandardCharsets.UTF_8);
    }

    private byte[] runBytes(String name, List<String> command, RedisProcess redis) throws IOException {
        Path out = Files.createTempFile(dir, name, ".out");
        try (Supervised program = Supervised.start(name, command, out, Files.createTempFile(dir, name, ".err"))) {
            int status;
            try {
                status = program.awaitExit(PROGRAM_MILLIS);
            } catch (IOException e) {
                throw new AssertionError(name + " did not end within " + PROGRAM_MILLIS + " ms: " + command
                        + "\nits output:\n" + Files.readString(out) + "\nredis-server's:\n" + redis.output(), e);
            }
            byte[] output = Files.readAllBytes(out);
            assertThat(status).as(name + " exit status; " + command + "\nits output:\n"
                    + new String(output, StandardCharsets.UTF_8)).isZero();
            return output;
        }
    }

    private static byte[] key(int i) {
        return bytes("interop:" + i);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Length and SHA-256, so that a mismatch of a 1 MiB value prints two short lines. */
    private static String digest(Object value) {
        if (!(value instanceof byte[] b)) {
            return "not a bulk string: " + value;
        }
        return b.length + " bytes, sha256 " + Payloads.sha256(b);
    }

    /**
     * A RESP client on a blocking socket, decoded independently of anything in the bench: commands
     * as arrays of bulk strings, buffered until {@link #flush()} (so many go in one write: a
     * pipeline); replies read one at a time. Counts the bytes it wrote and read.
     */
    private static final class Resp {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        long sent;
        long received;

        Resp(Socket socket) throws IOException {
            this.socket = socket;
            this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        }

        void send(byte[]... args) throws IOException {
            write(bytes("*" + args.length + "\r\n"));
            for (byte[] a : args) {
                write(bytes("$" + a.length + "\r\n"));
                write(a);
                write(bytes("\r\n"));
            }
        }

        private void write(byte[] b) throws IOException {
            out.write(b);
            sent += b.length;
        }

        void flush() throws IOException {
            out.flush();
        }

        /**
         * The next reply: a status ({@code +OK}) or error ({@code -ERR ...}) line as a String with
         * its sign, an integer as a Long, a bulk string as a byte[] (null for none), an array as a
         * List.
         */
        Object reply() throws IOException {
            String line = line();
            String rest = line.substring(1);
            switch (line.charAt(0)) {
                case '+':
                case '-':
                    return line;
                case ':':
                    return Long.parseLong(rest);
                case '$': {
                    int length = Integer.parseInt(rest);
                    if (length < 0) {
                        return null;
                    }
                    byte[] body = Payloads.readFully(in, length);
                    received += length;
                    if (read() != '\r' || read() != '\n') {
                        throw new IOException("a bulk string of " + length + " bytes not followed by CRLF");
                    }
                    return body;
                }
                case '*': {
                    int n = Integer.parseInt(rest);
                    List<Object> items = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        items.add(reply());
                    }
                    return n < 0 ? null : items;
                }
                default:
                    throw new IOException("not a RESP reply: '" + line + "'");
            }
        }

        /** After the replies: what the next read gives (-1 at the end of the stream), as {@link Sockets#readOutcome}. */
        Object outcome() {
            try {
                return in.read();
            } catch (IOException e) {
                return e;
            }
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                int c = read();
                if (c == '\r') {
                    if (read() != '\n') {
                        throw new IOException("CR not followed by LF after '" + sb + "'");
                    }
                    if (sb.isEmpty()) {
                        throw new IOException("an empty reply line");
                    }
                    return sb.toString();
                }
                if (sb.length() > 1024) {
                    throw new IOException("a reply line longer than 1 KiB: '" + sb + "'");
                }
                sb.append((char) c);
            }
        }

        private int read() throws IOException {
            int c = in.read();
            if (c < 0) {
                throw new IOException("end of stream inside a reply (socket " + socket.getLocalPort() + ")");
            }
            received++;
            return c;
        }
    }
}
