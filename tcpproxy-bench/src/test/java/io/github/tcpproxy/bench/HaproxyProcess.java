package io.github.tcpproxy.bench;


import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Sockets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * A real HAProxy for interoperability tests: a config written to a test's directory, run in the
 * foreground ({@code -db}, one thread, no {@code daemon}) under {@link Supervised}, so it never
 * outlives the test JVM; {@link #close()} stops it and waits for it with a bound.
 *
 * <p>HAProxy needs its port written in its config, so the port is one the system picked as free,
 * bound and closed again; if HAProxy then fails to bind it (another socket took it meanwhile),
 * the start is tried again on another port, a bounded number of times. {@code noreuseport} keeps
 * HAProxy from silently sharing a port with a socket that has {@code SO_REUSEPORT} (as tcpproxy's
 * own listen sockets on Linux) instead of failing.
 *
 * <p>HAProxy logs to its standard output ({@code log stdout format raw}, {@code option tcplog}),
 * which goes to a file read by {@link #log()}; its counters come from its stats socket
 * ({@link #stat}).
 */
final class HaproxyProcess implements AutoCloseable {
    /** Set to {@code 1} (as CI does) to make a missing haproxy fail the tests instead of skipping them. */
    static final String REQUIRE_ENV = "TCPPROXY_REQUIRE_HAPROXY";

    private static final int START_ATTEMPTS = 5;
    private static final Duration START_BOUND = Duration.ofSeconds(10);
    private static final Duration STOP_BOUND = Duration.ofSeconds(10);

    private final Supervised process;
    private final Path output;
    private final Path statsSocket;
    private final int port;

    private HaproxyProcess(Supervised process, Path output, Path statsSocket, int port) {
        this.process = process;
        this.output = output;
        this.statsSocket = statsSocket;
        this.port = port;
    }

    /**
     * The haproxy binary (on the PATH or in {@code /usr/sbin}); skips the calling test when there
     * is none, or fails it when {@value #REQUIRE_ENV}{@code =1}.
     */
    static String binary() {
        String binary = HaproxyTarget.find();
        InteropPrograms.skipOrFail(binary != null ? null : "haproxy is not installed (neither on the PATH nor in "
                + String.join(", ", HaproxyTarget.SBIN_DIRS) + ")", REQUIRE_ENV, "HAProxy interoperability tests",
                null);
        return binary;
    }

    /**
     * Starts HAProxy with a config made of fixed {@code global} and {@code defaults} sections
     * ({@code mode tcp}, {@code option tcplog}, logs to standard output) and the proxy sections
     * {@code sections} returns for the port it is given, which HAProxy must bind.
     *
     * @param dir where the config, the stats socket and the output file go
     * @throws AssertionError if HAProxy rejects the config, or fails to bind {@value #START_ATTEMPTS}
     *     times, or does not answer on its stats socket within 10 s; the message quotes its output
     */
    static HaproxyProcess start(String binary, Path dir, IntFunction<String> sections) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Path run = Files.createDirectories(dir.resolve("haproxy-" + attempt));
            Path statsSocket = run.resolve("stats.sock");
            Path output = run.resolve("haproxy.out");
            Path config = run.resolve("haproxy.cfg");
            int port = Sockets.closedPort();
            Files.writeString(config, config(statsSocket, sections.apply(port)));
            Supervised process = Supervised.start("haproxy", List.of(binary, "-db", "-f", config.toString()), output,
                    run.resolve("wrapper.err"));
            HaproxyProcess haproxy = new HaproxyProcess(process, output, statsSocket, port);
            try {
                // The stats socket answers once the poll loop runs, which is after every listener
                // is bound: a bind failure makes HAProxy exit before.
                boolean ready = Await.until("haproxy answering on " + statsSocket + " or exiting", START_BOUND,
                        () -> !process.isAlive() ? Boolean.FALSE : haproxy.answers() ? Boolean.TRUE : null,
                        state -> state != null);
                if (ready) {
                    return haproxy;
                }
                String out = haproxy.output();
                if (!out.contains("cannot bind socket") || attempt == START_ATTEMPTS) {
                    throw new AssertionError("haproxy exited at start (attempt " + attempt + ") on " + config + ":\n"
                            + Files.readString(config) + "\nits output:\n" + out);
                }
            } catch (IOException | RuntimeException | Error e) {
                haproxy.close();
                throw e;
            }
            haproxy.close();
        }
    }

    private static String config(Path statsSocket, String sections) {
        return "global\n"
                + "    nbthread 1\n"
                + "    noreuseport\n"
                + "    stats socket " + statsSocket + " mode 600 level admin\n"
                + "    log stdout format raw local0\n"
                + "\n"
                + "defaults\n"
                + "    mode tcp\n"
                + "    log global\n"
                + "    option tcplog\n"
                + "    timeout connect 5s\n"
                + "    timeout client 30s\n"
                + "    timeout server 30s\n"
                + "\n"
                + sections;
    }

    /** The port given to the config, which HAProxy listens on. */
    int port() {
        return port;
    }

    /** {@code 127.0.0.1} and {@link #port()}. */
    InetSocketAddress address() {
        return new InetSocketAddress(Sockets.loopback(), port);
    }

    /** Everything HAProxy has written to its standard output and error so far (its log among it). */
    String output() {
        try {
            return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines HAProxy has logged or printed so far. */
    List<String> log() {
        return output().lines().toList();
    }

    /**
     * One row of {@code show stat}: its columns by name ({@code conn_tot}, {@code stot}, ...).
     *
     * @throws AssertionError if there is no such row
     */
    Map<String, String> stat(String proxy, String server) {
        String csv = command("show stat");
        String[] lines = csv.split("\n");
        if (lines.length == 0 || !lines[0].startsWith("# ")) {
            throw new AssertionError("'show stat' answered:\n" + csv);
        }
        String[] names = lines[0].substring(2).split(",", -1);
        for (String line : lines) {
            String[] values = line.split(",", -1);
            if (values.length >= 2 && values[0].equals(proxy) && values[1].equals(server)) {
                Map<String, String> row = new HashMap<>();
                for (int i = 0; i < Math.min(names.length, values.length); i++) {
                    row.put(names[i], values[i]);
                }
                return row;
            }
        }
        throw new AssertionError("no row " + proxy + "/" + server + " in 'show stat':\n" + csv);
    }

    /** {@link #stat} of a number. */
    long statNumber(String proxy, String server, String column) {
        String value = stat(proxy, server).get(column);
        if (value == null || value.isEmpty()) {
            throw new AssertionError("'show stat' has no value in column " + column + " for " + proxy + "/" + server);
        }
        return Long.parseLong(value);
    }

    private boolean answers() {
        try {
            return command("show info").contains("Name: HAProxy");
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    /** A command on the stats socket: HAProxy answers and closes. */
    private String command(String command) {
        try {
            return HaproxyTarget.statsCommand(statsSocket, command);
        } catch (IOException e) {
            throw new UncheckedIOException("haproxy's stats socket " + statsSocket + ": " + command, e);
        }
    }

    /** Stops HAProxy and waits, with a bound, until it has exited; safe twice. */
    @Override
    public void close() {
        process.close();
        Await.until("haproxy (pid " + process.pid() + ") exited", STOP_BOUND, () -> !process.isAlive());
    }
}
