package io.github.tcpproxy.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The redis workload's backend and client: a {@code redis-server} the bench starts on 127.0.0.1
 * with nothing persisted, in a directory of its own, under {@link Supervised} so it never outlives
 * the bench; and {@code redis-benchmark} GETs of one key, {@value #PIPELINE} pipelined, on
 * {@value #CLIENTS} connections, against any target's redis address.
 */
final class Redis implements AutoCloseable {
    /** How to get both programs on Debian and Ubuntu. */
    static final String INSTALL = "apt-get install redis-server redis-tools";
    static final int PIPELINE = 16;
    static final int CLIENTS = 50;
    /**
     * The key {@code redis-benchmark -t get} asks for: without {@code -r} it does not replace the
     * placeholder, so every GET is of this one key, which we set so that each GET is a hit.
     */
    static final String KEY = "key:__rand_int__";
    private static final long START_MILLIS = 10_000;
    private static final int ANSWER_MILLIS = 5_000;

    /** The two programs found on the PATH. */
    record Binaries(String server, String benchmark) {
    }

    /** One redis-benchmark run: requests per second as it reports them, or what went wrong. */
    record Run(double perSecond, long requests, String error) {
    }

    private final Binaries binaries;
    private final Path dir;
    private final InetSocketAddress address;
    private final Supervised server;
    private int runs;

    private Redis(Binaries binaries, Path dir, InetSocketAddress address, Supervised server) {
        this.binaries = binaries;
        this.dir = dir;
        this.address = address;
        this.server = server;
    }

    /** Both programs, if both are on the PATH; null otherwise. */
    static Binaries find() {
        String server = Supervised.find("redis-server", List.of());
        String benchmark = Supervised.find("redis-benchmark", List.of());
        return server == null || benchmark == null ? null : new Binaries(server, benchmark);
    }

    /**
     * Starts {@code redis-server} on 127.0.0.1 and a free port, working in {@code dir}, and sets
     * {@link #KEY}.
     *
     * @throws IOException if it does not answer {@code PING} within 10 s
     */
    static Redis start(Binaries binaries, Path dir) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        Path log = dir.resolve("redis-server.log");
        Supervised server = Supervised.start("redis-server", List.of(binaries.server(), "--port",
                Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                dir.toString()), log, dir.resolve("redis-server-wrapper.log"));
        Redis redis = new Redis(binaries, dir, address, server);
        try {
            redis.awaitPong(log);
            redis.command("SET", KEY, "xyz");
            return redis;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private void awaitPong(Path log) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_MILLIS);
        while (true) {
            IOException failure = null;
            try {
                if (command("PING").equals("+PONG")) {
                    return;
                }
            } catch (IOException e) {
                failure = e;
            }
            // Checked on every pass: whatever answers on the port (it was free when picked) may
            // answer something other than +PONG for ever.
            if (!server.isAlive() || System.nanoTime() - deadline > 0) {
                throw new IOException("redis-server did not answer PING with +PONG on " + address + " within "
                        + START_MILLIS + " ms:\n" + tail(log), failure);
            }
            try {
                Thread.sleep(50); // polling another process's start-up: nothing to wait on instead
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /** The backend's address. */
    InetSocketAddress address() {
        return address;
    }

    /** {@code redis-server --version}, for the report. */
    static String version(Binaries binaries) {
        try {
            Process p = new ProcessBuilder(binaries.server(), "--version").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")[0];
            p.waitFor(5, TimeUnit.SECONDS);
            return first.trim();
        } catch (IOException | InterruptedException e) {
            return "redis-server (version unknown)";
        }
    }

    /** GETs that found no key so far (INFO stats): more than 0 means the workload measured misses. */
    long keyspaceMisses() throws IOException {
        for (String line : command("INFO", "stats").split("\r\n")) {
            if (line.startsWith("keyspace_misses:")) {
                return Long.parseLong(line.substring("keyspace_misses:".length()).trim());
            }
        }
        throw new IOException("no keyspace_misses in redis-server's INFO stats");
    }

    /**
     * Runs {@code redis-benchmark -t get -P 16 -c 50 -n requests --csv} against {@code target}
     * (under {@link Supervised} too: it does not give up on a refused connection, it spins). Never
     * throws: a failure, a run past {@code timeoutMillis} (then it is killed) or output without a
     * GET line comes back as {@link Run#error()}.
     */
    Run benchmark(InetSocketAddress target, long requests, long timeoutMillis) {
        int n = ++runs;
        Path out = dir.resolve("redis-benchmark-" + n + ".csv");
        List<String> command = new ArrayList<>(List.of(binaries.benchmark(), "-h",
                target.getAddress().getHostAddress(), "-p", Integer.toString(target.getPort()), "-t", "get", "-P",
                Integer.toString(PIPELINE), "-c", Integer.toString(CLIENTS), "-n", Long.toString(requests), "--csv"));
        try (Supervised run = Supervised.start("redis-benchmark", command, out,
                dir.resolve("redis-benchmark-wrapper-" + n + ".log"))) {
            int status;
            try {
                status = run.awaitExit(timeoutMillis);
            } catch (IOException e) {
                return new Run(Double.NaN, requests, "redis-benchmark did not finish " + requests
                        + " requests within " + timeoutMillis + " ms; killed it. Its output: " + tail(out));
            }
            String output = Files.readString(out);
            double rps = parseGetPerSecond(output);
            if (status != 0 || Double.isNaN(rps)) {
                return new Run(Double.NaN, requests, "redis-benchmark exited with " + status + ": " + tail(out));
            }
            return new Run(rps, requests, null);
        } catch (IOException | RuntimeException e) {
            return new Run(Double.NaN, requests, "redis-benchmark: " + e);
        }
    }

    /**
     * The requests per second of the GET line of {@code redis-benchmark --csv} output, whose lines
     * are {@code "test","rps","avg_latency_ms",...}; NaN when there is none. Package-private for the
     * unit test.
     */
    static double parseGetPerSecond(String csv) {
        for (String line : csv.split("\r?\n")) {
            String[] f = line.split(",");
            if (f.length >= 2 && f[0].replace("\"", "").trim().equals("GET")) {
                try {
                    return Double.parseDouble(f[1].replace("\"", "").trim());
                } catch (NumberFormatException e) {
                    return Double.NaN;
                }
            }
        }
        return Double.NaN;
    }

    /**
     * One command in RESP on a new connection; the reply's first line, or for a bulk string its
     * content.
     */
    private String command(String... args) throws IOException {
        StringBuilder req = new StringBuilder().append('*').append(args.length).append("\r\n");
        for (String a : args) {
            req.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        try (Socket s = new Socket()) {
            s.connect(address, ANSWER_MILLIS);
            s.setSoTimeout(ANSWER_MILLIS);
            OutputStream os = s.getOutputStream();
            os.write(req.toString().getBytes(StandardCharsets.UTF_8));
            os.flush();
            InputStream in = s.getInputStream();
            String first = readLine(in);
            if (first.startsWith("-")) {
                throw new IOException("redis-server answered '" + first + "' to " + args[0]);
            }
            if (!first.startsWith("$")) {
                return first;
            }
            int len = Integer.parseInt(first.substring(1));
            if (len < 0) {
                return "";
            }
            byte[] body = in.readNBytes(len);
            if (body.length < len) {
                throw new IOException("redis-server's answer to " + args[0] + " ended early");
            }
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && sb.length() < 64 * 1024) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        if (c < 0) {
            throw new IOException("redis-server closed the connection");
        }
        return sb.toString();
    }

    /** The end of a program's output (its last 1 KiB at most), on one line. */
    private static String tail(Path file) {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "r")) {
            long from = Math.max(0, f.length() - 1024);
            byte[] b = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(b);
            String text = new String(b, StandardCharsets.UTF_8).replaceAll("[\\r\\n]+", " | ").trim();
            return text.isEmpty() ? "(no output)" : text;
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    /** Stops redis-server; safe twice. */
    @Override
    public void close() {
        server.close();
    }
}
