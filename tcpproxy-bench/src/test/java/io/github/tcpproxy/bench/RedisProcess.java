package io.github.tcpproxy.bench;


import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Sockets;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@code redis-server} for interoperability tests, started as {@link HaproxyProcess}
 * starts HAProxy: on 127.0.0.1 and a port the system picked as free (bound and closed again),
 * nothing persisted, in a test's directory, under {@link Supervised}, so it never outlives the
 * test JVM; {@link #close()} stops it and waits for it with a bound.
 *
 * <p>If redis-server fails to bind the port picked (another socket took it meanwhile), the start
 * is tried again on another port, a bounded number of times. Redis sets {@code SO_REUSEADDR}
 * but not {@code SO_REUSEPORT}, so it cannot silently share a port with tcpproxy's own listen
 * sockets.
 */
final class RedisProcess implements AutoCloseable {
    /** Set to {@code 1} (as CI does) to make a missing redis-server fail the tests instead of skipping them. */
    static final String REQUIRE_ENV = "TCPPROXY_REQUIRE_REDIS";

    private static final List<String> DIRS = List.of("/usr/bin", "/usr/local/bin");
    private static final int START_ATTEMPTS = 5;
    private static final Duration START_BOUND = Duration.ofSeconds(10);
    private static final Duration STOP_BOUND = Duration.ofSeconds(10);
    private static final int ANSWER_MILLIS = 2_000;

    /** The three programs: Debian's redis-server package brings redis-cli and redis-benchmark (redis-tools). */
    record Binaries(String server, String cli, String benchmark) {
    }

    private final Supervised process;
    private final Path output;
    private final int port;

    private RedisProcess(Supervised process, Path output, int port) {
        this.process = process;
        this.output = output;
        this.port = port;
    }

    /**
     * redis-server, redis-cli and redis-benchmark (on the PATH, in {@code /usr/bin} or {@code
     * /usr/local/bin}); skips the calling test when one is missing, or fails it when
     * {@value #REQUIRE_ENV}{@code =1}.
     */
    static Binaries binaries() {
        String server = Supervised.find("redis-server", DIRS);
        String cli = Supervised.find("redis-cli", DIRS);
        String benchmark = Supervised.find("redis-benchmark", DIRS);
        List<String> missing = new ArrayList<>();
        for (String[] b : new String[][] {{"redis-server", server}, {"redis-cli", cli}, {"redis-benchmark", benchmark}}) {
            if (b[1] == null) {
                missing.add(b[0]);
            }
        }
        InteropPrograms.skipOrFail(missing.isEmpty() ? null : String.join(", ", missing)
                + " not installed (neither on the PATH nor in " + DIRS + ")", REQUIRE_ENV,
                "Redis interoperability tests", Redis.INSTALL);
        return new Binaries(server, cli, benchmark);
    }

    /**
     * Starts redis-server on 127.0.0.1 ({@code --protected-mode yes}, {@code --save ''},
     * {@code --appendonly no}, working in {@code dir}) and waits until it answers {@code PING}.
     *
     * @throws AssertionError if it exits at start other than for a port taken, fails to bind
     *     {@value #START_ATTEMPTS} times, or does not answer {@code PING} within 10 s; the message
     *     quotes its output
     */
    static RedisProcess start(Binaries binaries, Path dir) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Path run = Files.createDirectories(dir.resolve("redis-" + attempt));
            Path output = run.resolve("redis-server.out");
            int port = Sockets.closedPort();
            List<String> command = List.of(binaries.server(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--dir", run.toString());
            Supervised process = Supervised.start("redis-server", command, output, run.resolve("wrapper.err"));
            RedisProcess redis = new RedisProcess(process, output, port);
            try {
                // A bind failure makes redis-server exit ("Address already in use") before it answers.
                boolean ready = Await.until("redis-server answering PING on 127.0.0.1:" + port + " or exiting",
                        START_BOUND, () -> !process.isAlive() ? Boolean.FALSE : redis.answersPing() ? Boolean.TRUE : null,
                        state -> state != null);
                if (ready) {
                    return redis;
                }
                String out = redis.output();
                if (!out.contains("Address already in use") || attempt == START_ATTEMPTS) {
                    throw new AssertionError("redis-server exited at start (attempt " + attempt + "): " + command
                            + "\nits output:\n" + out);
                }
            } catch (RuntimeException | Error e) {
                redis.close();
                throw e;
            }
            redis.close();
        }
    }

    private boolean answersPing() {
        try (Socket s = new Socket()) {
            s.connect(address(), ANSWER_MILLIS);
            s.setSoTimeout(ANSWER_MILLIS);
            s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] pong = in.readNBytes(7);
            return new String(pong, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    /** The port redis-server listens on. */
    int port() {
        return port;
    }

    /** {@code 127.0.0.1} and {@link #port()}. */
    InetSocketAddress address() {
        return new InetSocketAddress(Sockets.loopback(), port);
    }

    /** Everything redis-server has written to its standard output and error so far (its log). */
    String output() {
        try {
            return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops redis-server and waits, with a bound, until it has exited; safe twice. */
    @Override
    public void close() {
        process.close();
        Await.until("redis-server (pid " + process.pid() + ") exited", STOP_BOUND, () -> !process.isAlive());
    }
}
