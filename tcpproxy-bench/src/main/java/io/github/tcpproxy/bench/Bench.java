package io.github.tcpproxy.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The loopback benchmark: runs each workload against a direct connection, tcpproxy (in a child
 * JVM) and HAProxy (when installed), round after round, and prints a table of medians with ratios
 * against the direct connection measured in the same round. See the module's README.
 *
 * <pre>
 * java -jar tcpproxy-bench/target/tcpproxy-bench.jar [--quick] [--rounds 3]
 *         [--only stream,rr,rate,redis,halfclose,idle]
 * java -jar tcpproxy-bench/target/tcpproxy-bench.jar jmh -prof gc RelayBench
 * </pre>
 */
public final class Bench {
    private static final long IDLE_OPEN_MILLIS = 120_000;
    private static final long IDLE_RELEASE_MILLIS = 60_000;
    private static final long QUIET_MILLIS = 30_000;
    private static final double MIB = 1024.0 * 1024.0;
    /** Half-close trials per target and round, and their bounds in time. */
    private static final int HALFCLOSE_TRIALS = 20;
    private static final long HALFCLOSE_TRIAL_MILLIS = 5_000;
    private static final long HALFCLOSE_TOTAL_MILLIS = 30_000;
    /** Requests of the first redis-benchmark run, which sizes the others to the duration. */
    private static final long REDIS_CALIBRATION_REQUESTS = 50_000;

    private final Options options;
    private final PrintStream out;
    private final List<Target> targets = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private Table table;
    private StreamServer streamServer;
    private NioServer nioServer;
    private HalfCloseServer halfCloseServer;
    /** The redis workload's server; null when the workload is not run. */
    private Redis redis;
    /** Requests per redis-benchmark run, sized so that the direct run takes about the duration. */
    private long redisRequests;
    private int idleConnections;
    /** Per long-lived proxy: a snapshot after the warm-up, for the whole-run leak check. */
    private final java.util.Map<String, Snapshot> runBaseline = new java.util.HashMap<>();
    /** How to start a fresh process of each proxy, for the idle workload. */
    private final List<ProxyFactory> factories = new ArrayList<>();

    /** Starts a new proxy process relaying to the bench's backends. */
    @FunctionalInterface
    private interface ProxyFactory {
        Target start() throws IOException;
    }

    private Bench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /**
     * Runs the benchmark, or JMH when the first argument is {@code jmh}.
     *
     * @param args see {@link Options#USAGE}
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            JmhLauncher.run(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("tcpproxy-bench: " + e.getMessage());
            System.err.print(Options.USAGE);
            System.exit(2);
            return;
        }
        if (options.help) {
            System.out.print(Options.USAGE);
            return;
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int status = new Bench(options, out).run();
        System.exit(status);
    }

    private int run() throws IOException, InterruptedException {
        int fdLimit = ProcInfo.openFileLimit();
        idleConnections = options.idleConnections > 0 ? options.idleConnections
                : Options.defaultIdleConnections(fdLimit);
        Path work = Files.createTempDirectory("tcpproxy-bench-");
        String haproxy = options.haproxy
                ? (options.haproxyPath != null ? options.haproxyPath : HaproxyTarget.find()) : null;
        Redis.Binaries redisBinaries = options.only.contains("redis") ? Redis.find() : null;
        printHeader(fdLimit, haproxy, redisBinaries, work);
        double[] machine0 = ProcInfo.machineCpuSeconds();
        double ours0 = ourCpuSeconds();
        long wall0 = System.nanoTime();
        try (StreamServer ss = new StreamServer(); NioServer ns = new NioServer();
                HalfCloseServer hs = new HalfCloseServer(); Redis rs = startRedis(redisBinaries, work)) {
            streamServer = ss;
            nioServer = ns;
            halfCloseServer = hs;
            redis = rs;
            startTargets(haproxy, work);
            table = new Table(targets.stream().map(Target::name).toList(), options.rounds);
            declareRows();
            warmUp();
            for (Target t : targets) {
                if (t.pid() > 0) {
                    runBaseline.put(t.name(), snapshot(t));
                }
            }
            for (int round = 0; round < options.rounds; round++) {
                out.printf("round %d of %d...%n", round + 1, options.rounds);
                List<Target> order = rotated(round);
                if (options.only.contains("stream")) {
                    stream(order, round);
                }
                if (options.only.contains("rr")) {
                    requestResponse(order, round);
                }
                if (options.only.contains("rate")) {
                    rate(order, round);
                }
                if (redis != null) {
                    redisBenchmark(order, round);
                }
                if (options.only.contains("halfclose")) {
                    halfClose(order, round);
                }
                if (options.only.contains("idle")) {
                    idle(round);
                }
            }
            java.util.Map<String, Snapshot> runEnd = new java.util.HashMap<>();
            for (Target t : targets) {
                if (t.pid() > 0) {
                    awaitQuiet(t);
                    runEnd.put(t.name(), snapshot(t));
                }
            }
            double[] machine1 = ProcInfo.machineCpuSeconds();
            double others = (machine1[0] - machine0[0]) - (ourCpuSeconds() - ours0);
            double wall = (System.nanoTime() - wall0) / 1e9;
            out.println();
            out.print(table.render(options.everyRound));
            printLeakCheck(runEnd);
            out.printf(Locale.ROOT, "%nrun took %.0f s; load average now %s. Average CPU during the run, in %% of one"
                    + " core: processes other than the bench and its proxies %.0f, interrupts and softirq (the"
                    + " loopback TCP stack, charged to no process) %.0f, steal %.0f%n",
                    wall, ProcInfo.loadAverage(), Math.max(0, 100 * others / wall),
                    100 * (machine1[1] - machine0[1]) / wall, 100 * (machine1[2] - machine0[2]) / wall);
            if (options.jfr) {
                allocationProfile(work);
            }
        } finally {
            for (Target t : targets) {
                t.close();
            }
            if (!options.keep) {
                deleteTree(work);
            } else {
                out.println("kept " + work);
            }
        }
        if (!problems.isEmpty()) {
            out.println();
            out.println("problems seen:");
            for (String p : problems) {
                out.println("  - " + p);
            }
        }
        return 0;
    }

    // ---- set-up ----

    private void printHeader(int fdLimit, String haproxy, Redis.Binaries redisBinaries, Path work) {
        out.println("tcpproxy-bench " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 19));
        out.printf(Locale.ROOT, "machine: %d CPUs, load average %s, %s %s, java %s, open-file limit %d%n",
                Runtime.getRuntime().availableProcessors(), ProcInfo.loadAverage(), System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("java.runtime.version"), fdLimit);
        out.printf("kernel: tcp_tw_reuse=%s, ip_local_port_range=%s%n", ProcInfo.sysctl("net.ipv4.tcp_tw_reuse"),
                ProcInfo.sysctl("net.ipv4.ip_local_port_range"));
        out.printf(Locale.ROOT, "run: %d round(s), %d ms per stream/rr/rate/redis figure, %d idle connections,"
                + " workloads %s%n",
                options.rounds, options.durationMillis, idleConnections, String.join(",", options.only));
        out.printf("tcpproxy: child JVM %s, %d reactor thread(s), %d KiB buffers%s%n",
                String.join(" ", options.proxyJvm), options.threads, options.bufferSize / 1024,
                options.tcpNoDelay ? "" : ", TCP_NODELAY off");
        if (haproxy != null) {
            out.printf("haproxy: %s, mode tcp, nbthread %d, default buffers, no splicing%n",
                    HaproxyTarget.version(haproxy), options.threads);
        } else {
            out.println(options.haproxy ? "haproxy: not installed (apt-get install haproxy), skipped"
                    : "haproxy: skipped (--no-haproxy)");
        }
        if (!options.netty.isEmpty()) {
            out.printf("netty: %s relay(s), Netty %s, child JVMs %s, 1 acceptor + %d event-loop thread(s),"
                    + " pooled buffers, adaptive reads of up to %d KiB (tcpproxy's buffer size)%n",
                    String.join(" and ", options.netty), nettyVersion(),
                    options.nettyJvm.isEmpty() ? "with the JVM's defaults" : String.join(" ", options.nettyJvm),
                    options.threads, options.bufferSize / 1024);
        } else {
            out.println("netty: skipped (--no-netty)");
        }
        if (options.only.contains("redis")) {
            out.println(redisBinaries != null
                    ? "redis: " + Redis.version(redisBinaries) + ", no persistence; redis-benchmark -t get -P "
                            + Redis.PIPELINE + " -c " + Redis.CLIENTS
                    : "redis: redis-server or redis-benchmark not installed (" + Redis.INSTALL + "), skipped");
        }
        out.println("clients and backends: this JVM; everything on 127.0.0.0/8; temp dir " + work);
    }

    /** Netty's version as its jars declare it, or "?" if the declaration is missing. */
    private static String nettyVersion() {
        io.netty.util.Version v = io.netty.util.Version.identify().get("netty-transport");
        return v == null ? "?" : v.artifactVersion();
    }

    /** The redis workload's server, or null (with a problem noted) if it cannot run. */
    private Redis startRedis(Redis.Binaries binaries, Path work) {
        if (binaries == null) {
            return null;
        }
        try {
            return Redis.start(binaries, Files.createTempDirectory(work, "redis-"));
        } catch (IOException | RuntimeException e) {
            problem("redis-server could not be started, the redis workload is skipped: " + e.getMessage());
            return null;
        }
    }

    private void startTargets(String haproxy, Path work) throws IOException {
        Map<Service, InetSocketAddress> backends = new EnumMap<>(Service.class);
        backends.put(Service.STREAM, streamServer.address());
        backends.put(Service.RATE, nioServer.rateAddress());
        backends.put(Service.IDLE, nioServer.idleAddress());
        if (redis != null) {
            backends.put(Service.REDIS, redis.address());
        }
        backends.put(Service.HALFCLOSE, halfCloseServer.address());
        targets.add(new DirectTarget(backends));
        List<ProxyFactory> all = new ArrayList<>();
        // Each process gets its own directory: its log, and for HAProxy its config and stats socket.
        all.add(() -> JvmTarget.tcpproxy(options.proxyJvm, options.threads, options.bufferSize, options.tcpNoDelay,
                Files.createTempDirectory(work, "tcpproxy-"), backends));
        if (haproxy != null) {
            all.add(() -> new HaproxyTarget(haproxy, options.threads, idleConnections + 100,
                    Files.createTempDirectory(work, "haproxy-"), backends));
        }
        for (String transport : options.netty) {
            all.add(() -> JvmTarget.netty(transport, options.nettyJvm, options.threads, options.bufferSize,
                    Files.createTempDirectory(work, "netty-" + transport + "-"), backends));
        }
        for (ProxyFactory f : all) {
            try {
                targets.add(f.start());
                factories.add(f);
            } catch (IOException | RuntimeException e) {
                problem("a proxy could not be started: " + e.getMessage());
            }
        }
    }

    private void declareRows() {
        for (StreamFigure f : StreamFigure.values()) {
            table.row(f.key, f.label, 2, true);
            table.row(f.key + ".cpu", "  proxy CPU (% of one core)", 0, false);
            table.row(f.key + ".cpugib", "  proxy CPU per GiB relayed (ms)", 1, false);
            table.row(f.key + ".alloc", "  proxy heap alloc (B per MiB relayed)", 0, false);
        }
        table.row("rr.p50", "rr 64 B ping-pong, p50 (us)", 1, true);
        table.row("rr.p99", "rr 64 B ping-pong, p99 (us)", 1, true);
        table.row("rr.mean", "  mean (us)", 1, true);
        table.row("rr.add50", "  added p50 over direct (us)", 1, false);
        table.row("rr.add99", "  added p99 over direct (us)", 1, false);
        table.row("rr.cpu", "  proxy CPU (% of one core)", 0, false);
        table.row("rr.cpuop", "  proxy CPU per round trip (us)", 1, false);
        table.row("rr.alloc", "  proxy heap alloc (B per round trip)", 1, false);
        table.row("rate", "rate, " + options.rateClients + " clients (conn/s)", 0, true);
        table.row("rate.p50", "  connection time p50 (ms)", 3, true);
        table.row("rate.p99", "  connection time p99 (ms)", 3, true);
        table.row("rate.cpu", "  proxy CPU (% of one core)", 0, false);
        table.row("rate.cpuop", "  proxy CPU per connection (us)", 1, false);
        table.row("rate.alloc", "  proxy heap alloc (B per connection)", 0, false);
        table.row("redis", "redis-benchmark GET, pipelined " + Redis.PIPELINE + ", " + Redis.CLIENTS
                + " conns (req/s)", 0, true);
        table.row("redis.cpu", "  proxy CPU (% of one core)", 0, false);
        table.row("redis.cpuop", "  proxy CPU per request (us)", 2, false);
        table.row("halfclose", "half-close kept (client FIN, then all data back; fraction of " + HALFCLOSE_TRIALS
                + ")", 2, false);
        table.row("idle.n", "idle conns held", 0, false);
        table.row("idle.rss", "idle RSS per conn (B)", 0, false);
        table.row("idle.heap", "idle heap per conn, after full GC (B)", 0, false);
        table.row("idle.committed", "idle heap committed per conn (B)", 0, false);
        table.row("idle.direct", "idle direct buffers per conn (B)", 0, false);
        table.row("scale.fds", "scale: open fds held - baseline", 0, false);
        table.row("scale.fds1", "scale: open fds after release 1 - baseline", 0, false);
        table.row("scale.fds2", "scale: open fds after release 2 - baseline", 0, false);
        table.row("scale.active", "scale: proxy active conns after releases", 0, false);
        table.row("scale.rss1", "scale: RSS after release 1 - baseline (KiB)", 0, false);
        table.row("scale.rss2", "scale: RSS after release 2 - baseline (KiB)", 0, false);
        table.row("scale.rssgrow", "scale: RSS held 2 - held 1 (KiB)", 0, false);
        table.row("scale.heap1", "scale: heap after release 1 - baseline (KiB)", 1, false);
        table.row("scale.heap2", "scale: heap after release 2 - baseline (KiB)", 1, false);
    }

    private List<Target> rotated(int round) {
        List<Target> order = new ArrayList<>(targets);
        java.util.Collections.rotate(order, -round);
        return order;
    }

    /** One unrecorded pass of the short workloads, so the proxies' JIT and pools are warm. */
    private void warmUp() throws InterruptedException {
        long millis = Math.max(300, options.durationMillis / 2);
        out.printf("warming up (%d ms per workload and target)...%n", millis);
        if (redis != null) {
            calibrateRedis();
        }
        for (Target t : targets) {
            if (options.only.contains("stream")) {
                Workloads.stream(t.address(Service.STREAM), 1, 0, millis);
                Workloads.stream(t.address(Service.STREAM), 0, 1, millis);
            }
            if (options.only.contains("rr")) {
                Workloads.requestResponse(t.address(Service.STREAM), millis);
            }
            if (options.only.contains("rate")) {
                Workloads.connectionRate(t.address(Service.RATE), options.rateClients, millis);
            }
            if (redis != null) {
                redis.benchmark(t.address(Service.REDIS), Math.max(1_000, redisRequests * millis
                        / options.durationMillis), redisTimeoutMillis());
            }
        }
    }

    /**
     * Sizes the redis-benchmark runs from the direct connection's speed, so that its run takes
     * about {@code --duration-ms}; through a proxy a run takes longer, by the ratio the table shows.
     * A first run of {@value #REDIS_CALIBRATION_REQUESTS} requests gives a rough speed, lowered by
     * the set-up of its 50 connections; a second one, sized from it to half the duration, the speed.
     */
    private void calibrateRedis() {
        Target direct = targets.get(0);
        long requests = REDIS_CALIBRATION_REQUESTS;
        double perSecond = Double.NaN;
        for (int i = 0; i < 2; i++) {
            Redis.Run r = redis.benchmark(direct.address(Service.REDIS), requests, redisTimeoutMillis());
            if (r.error() != null) {
                problem("redis calibration run " + (i + 1) + " failed: " + r.error());
                break;
            }
            perSecond = r.perSecond();
            requests = Math.max(10_000, Math.min(50_000_000, (long) (perSecond * options.durationMillis / 2e3)));
        }
        if (Double.isNaN(perSecond)) {
            redisRequests = REDIS_CALIBRATION_REQUESTS;
            out.printf(Locale.ROOT, "redis: %,d requests per run (uncalibrated)%n", redisRequests);
            return;
        }
        redisRequests = Math.max(10_000, Math.min(50_000_000, (long) (perSecond * options.durationMillis / 1e3)));
        out.printf(Locale.ROOT, "redis: %,.0f GET/s direct in calibration runs: %,d requests per run%n", perSecond,
                redisRequests);
    }

    /** A redis-benchmark run is killed after this: enough for a proxy at a fifth of direct speed. */
    private long redisTimeoutMillis() {
        return 5 * options.durationMillis + Workloads.GRACE_MILLIS;
    }

    // ---- workloads ----

    enum StreamFigure {
        UP("up1", "stream 1 conn client->backend (Gbit/s)", 1, 0),
        DOWN("down1", "stream 1 conn backend->client (Gbit/s)", 0, 1),
        MIXED("mixed8", "stream 8 conns, 4 each way (Gbit/s)", 4, 4);

        final String key;
        final String label;
        final int up;
        final int down;

        StreamFigure(String key, String label, int up, int down) {
            this.key = key;
            this.label = label;
            this.up = up;
            this.down = down;
        }
    }

    private void stream(List<Target> order, int round) throws InterruptedException {
        for (StreamFigure f : StreamFigure.values()) {
            for (Target t : order) {
                Probe p = Probe.start(t);
                Workloads.Stream s = Workloads.stream(t.address(Service.STREAM), f.up, f.down, options.durationMillis);
                p.stop(t);
                table.put(f.key, t.name(), round, s.failedConnections() > 0 ? Double.NaN : s.gbitPerSecond());
                table.put(f.key + ".cpu", t.name(), round, p.cpuPercent());
                table.put(f.key + ".cpugib", t.name(), round, 1e3 * p.cpuSeconds() / (s.bytes() / (MIB * 1024)));
                table.put(f.key + ".alloc", t.name(), round, p.allocBytes() < 0 ? Double.NaN
                        : p.allocBytes() / (s.bytes() / MIB));
                if (s.failedConnections() > 0) {
                    String msg = t.name() + ": " + s.failedConnections() + " stream connection(s) failed in round "
                            + (round + 1);
                    table.note(f.key, msg);
                    problem(msg);
                }
            }
        }
    }

    private void requestResponse(List<Target> order, int round) {
        double direct50 = Double.NaN;
        double direct99 = Double.NaN;
        List<Object[]> proxied = new ArrayList<>();
        for (Target t : order) {
            Probe p = Probe.start(t);
            Workloads.Latency l = Workloads.requestResponse(t.address(Service.STREAM), options.durationMillis);
            p.stop(t);
            if (l.error() != null) {
                String msg = t.name() + ": rr failed in round " + (round + 1) + " after " + l.count()
                        + " round trips: " + l.error();
                table.note("rr.p50", msg);
                problem(msg);
            }
            table.put("rr.p50", t.name(), round, l.p50Micros());
            table.put("rr.p99", t.name(), round, l.p99Micros());
            table.put("rr.mean", t.name(), round, l.meanMicros());
            table.put("rr.cpu", t.name(), round, p.cpuPercent());
            // Round trips including the unrecorded warm-up fifth: CPU and allocation count them all.
            double trips = l.count() / (1 - Math.min(500.0, options.durationMillis / 5.0) / options.durationMillis);
            table.put("rr.cpuop", t.name(), round, 1e6 * p.cpuSeconds() / trips);
            table.put("rr.alloc", t.name(), round, p.allocBytes() < 0 ? Double.NaN : p.allocBytes() / trips);
            if (t instanceof DirectTarget) {
                direct50 = l.p50Micros();
                direct99 = l.p99Micros();
            } else {
                proxied.add(new Object[] {t, l});
            }
        }
        for (Object[] o : proxied) {
            Target t = (Target) o[0];
            Workloads.Latency l = (Workloads.Latency) o[1];
            table.put("rr.add50", t.name(), round, l.p50Micros() - direct50);
            table.put("rr.add99", t.name(), round, l.p99Micros() - direct99);
        }
    }

    private void rate(List<Target> order, int round) throws InterruptedException {
        for (Target t : order) {
            Probe p = Probe.start(t);
            Workloads.Rate r = Workloads.connectionRate(t.address(Service.RATE), options.rateClients,
                    options.durationMillis);
            p.stop(t);
            table.put("rate", t.name(), round, r.perSecond());
            table.put("rate.p50", t.name(), round, r.p50Millis());
            table.put("rate.p99", t.name(), round, r.p99Millis());
            table.put("rate.cpu", t.name(), round, p.cpuPercent());
            table.put("rate.cpuop", t.name(), round, 1e6 * p.cpuSeconds() / Math.max(1, r.count() + r.errors()));
            table.put("rate.alloc", t.name(), round, p.allocBytes() < 0 || r.count() == 0 ? Double.NaN
                    : p.allocBytes() / (double) (r.count() + r.errors()));
            if (r.errors() > 0) {
                String msg = t.name() + ": " + r.errors() + " failed connection(s) of " + (r.count() + r.errors())
                        + " in round " + (round + 1) + ", first: " + r.firstError();
                table.note("rate", msg);
                problem(msg);
            }
        }
    }

    private void redisBenchmark(List<Target> order, int round) {
        long misses0 = redisMisses();
        for (Target t : order) {
            Probe p = Probe.start(t);
            Redis.Run r = redis.benchmark(t.address(Service.REDIS), redisRequests, redisTimeoutMillis());
            p.stop(t);
            table.put("redis", t.name(), round, r.perSecond());
            if (r.error() != null) {
                String msg = t.name() + ": redis round " + (round + 1) + ": " + r.error();
                table.note("redis", msg);
                problem(msg);
                continue;
            }
            table.put("redis.cpu", t.name(), round, p.cpuPercent());
            table.put("redis.cpuop", t.name(), round, 1e6 * p.cpuSeconds() / r.requests());
        }
        long misses = redisMisses() - misses0;
        if (misses != 0) {
            problem("redis round " + (round + 1) + ": " + misses + " GET(s) missed the key " + Redis.KEY
                    + ": the workload did not measure what it says");
        }
    }

    /** redis-server's keyspace misses so far, 0 if it cannot say (the run's figures then stand). */
    private long redisMisses() {
        try {
            return redis.keyspaceMisses();
        } catch (IOException | RuntimeException e) {
            problem("redis-server did not tell its keyspace misses: " + e.getMessage());
            return 0;
        }
    }

    private void halfClose(List<Target> order, int round) {
        for (Target t : order) {
            Workloads.HalfClose h = Workloads.halfClose(t.address(Service.HALFCLOSE), halfCloseServer,
                    HALFCLOSE_TRIALS, HALFCLOSE_TRIAL_MILLIS, HALFCLOSE_TOTAL_MILLIS);
            table.put("halfclose", t.name(), round, h.fraction());
            if (h.kept() < h.trials() || h.trials() < HALFCLOSE_TRIALS) {
                String msg = t.name() + ": half-close kept the whole answer in " + h.kept() + " of " + h.trials()
                        + " trials (of " + HALFCLOSE_TRIALS + " planned) in round " + (round + 1)
                        + (h.firstFailure() != null ? "; first failure: " + h.firstFailure() : "");
                table.note("halfclose", msg);
                problem(msg);
            }
        }
    }

    /** What we read of a proxy process at one moment. */
    record Snapshot(long rss, int fds, long active, Target.Heap heap) {
    }

    private static Snapshot snapshot(Target t) throws IOException, InterruptedException {
        Target.Heap heap = t.heapAfterGc(); // first: a full GC may shrink the heap, hence the RSS
        long rss = ProcInfo.rssBytes(t.pid());
        // HAProxy closes a stats-socket connection (ours, a moment ago) a little after answering:
        // count until two readings 20 ms apart agree, at most 10 times.
        int fds = ProcInfo.openFds(t.pid());
        for (int i = 0; i < 10; i++) {
            Thread.sleep(20);
            int again = ProcInfo.openFds(t.pid());
            if (again == fds) {
                break;
            }
            fds = again;
        }
        long active = t.activeConnections(); // after counting fds: haproxy's stats socket takes one
        return new Snapshot(rss, fds, active, heap);
    }

    /**
     * The idle and scale workloads, on a fresh process of each proxy, so that what the other
     * workloads left in its heap or allocator does not hide the memory the connections take. A
     * first small hold and release loads the classes and fills the pools before the baseline.
     */
    private void idle(int round) throws IOException, InterruptedException {
        List<ProxyFactory> order = new ArrayList<>(factories);
        java.util.Collections.rotate(order, -round);
        for (ProxyFactory factory : order) {
            Target t;
            try {
                t = factory.start();
            } catch (IOException | RuntimeException e) {
                problem("a fresh proxy for the idle workload could not be started: " + e.getMessage());
                continue;
            }
            try (t; IdleConnections conns = new IdleConnections(nioServer, t.address(Service.IDLE))) {
                conns.open(Math.min(200, idleConnections), IDLE_OPEN_MILLIS);
                conns.release(IDLE_RELEASE_MILLIS);
                awaitQuiet(t);
                Snapshot base = snapshot(t);
                int n = conns.open(idleConnections, IDLE_OPEN_MILLIS);
                Snapshot held = snapshot(t);
                conns.release(IDLE_RELEASE_MILLIS);
                awaitQuiet(t);
                Snapshot released1 = snapshot(t);
                int n2 = conns.open(idleConnections, IDLE_OPEN_MILLIS);
                Snapshot held2 = snapshot(t);
                conns.release(IDLE_RELEASE_MILLIS);
                awaitQuiet(t);
                Snapshot released2 = snapshot(t);
                if (conns.firstError() != null || n < idleConnections || n2 < idleConnections) {
                    String msg = t.name() + ": idle round " + (round + 1) + " held " + n + " then " + n2 + " of "
                            + idleConnections + (conns.firstError() != null ? "; " + conns.firstError() : "");
                    table.note("idle.n", msg);
                    problem(msg);
                }
                if (n == 0) {
                    continue;
                }
                table.put("idle.n", t.name(), round, n);
                table.put("idle.rss", t.name(), round, (held.rss() - base.rss()) / (double) n);
                if (base.heap() != null) {
                    table.put("idle.heap", t.name(), round, (held.heap().used() - base.heap().used()) / (double) n);
                    table.put("idle.committed", t.name(), round,
                            (held.heap().committed() - base.heap().committed()) / (double) n);
                    table.put("idle.direct", t.name(), round,
                            (held.heap().directUsed() - base.heap().directUsed()) / (double) n);
                    table.put("scale.heap1", t.name(), round, (released1.heap().used() - base.heap().used()) / 1024.0);
                    table.put("scale.heap2", t.name(), round, (released2.heap().used() - base.heap().used()) / 1024.0);
                }
                table.put("scale.fds", t.name(), round, held.fds() - base.fds());
                table.put("scale.fds1", t.name(), round, released1.fds() - base.fds());
                table.put("scale.fds2", t.name(), round, released2.fds() - base.fds());
                table.put("scale.active", t.name(), round, Math.max(released1.active(), released2.active()));
                table.put("scale.rss1", t.name(), round, (released1.rss() - base.rss()) / 1024.0);
                table.put("scale.rss2", t.name(), round, (released2.rss() - base.rss()) / 1024.0);
                table.put("scale.rssgrow", t.name(), round, (held2.rss() - held.rss()) / 1024.0);
                if (released1.active() != 0 || released2.active() != 0) {
                    String msg = t.name() + ": active connections after release: " + released1.active() + ", "
                            + released2.active() + " (expected 0)";
                    table.note("scale.active", msg);
                    problem(msg);
                }
                if (released1.fds() != base.fds() || released2.fds() != base.fds()) {
                    String msg = t.name() + ": open fds baseline " + base.fds() + ", after releases "
                            + released1.fds() + ", " + released2.fds();
                    table.note("scale.fds1", msg);
                    problem(msg);
                }
            }
        }
    }

    /** Waits until the proxy reports no connection and the backend holds none, for a bounded time. */
    private void awaitQuiet(Target t) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS);
        while (System.nanoTime() - deadline < 0) {
            long active = t.activeConnections();
            if ((active <= 0) && nioServer.idleOpen() == 0) {
                return;
            }
            Thread.sleep(20); // polling another process's counters: there is no event to wait on
        }
        problem(t.name() + ": still " + t.activeConnections() + " active connection(s) and " + nioServer.idleOpen()
                + " backend connection(s) " + QUIET_MILLIS + " ms after releasing the idle connections");
    }

    private void printLeakCheck(java.util.Map<String, Snapshot> runEnd) {
        if (runBaseline.isEmpty()) {
            return;
        }
        out.println();
        out.println("leak check of the long-lived proxies (after the warm-up -> after the last round):");
        for (Target t : targets) {
            Snapshot a = runBaseline.get(t.name());
            Snapshot b = runEnd.get(t.name());
            if (a == null || b == null) {
                continue;
            }
            out.printf(Locale.ROOT, "  %-9s open fds %d -> %d, active conns %d -> %d, RSS %.1f -> %.1f MiB%s%n",
                    t.name(), a.fds(), b.fds(), a.active(), b.active(), a.rss() / MIB, b.rss() / MIB,
                    a.heap() == null ? "" : String.format(Locale.ROOT,
                            ", heap after GC %.2f -> %.2f MiB (committed %.0f -> %.0f MiB), direct buffers %d -> %d"
                            + " (%.1f -> %.1f MiB)",
                            a.heap().used() / MIB, b.heap().used() / MIB, a.heap().committed() / MIB,
                            b.heap().committed() / MIB, a.heap().directCount(),
                            b.heap().directCount(), a.heap().directUsed() / MIB, b.heap().directUsed() / MIB));
            if (a.fds() != b.fds() || b.active() != 0) {
                problem(t.name() + ": after all workloads, open fds " + a.fds() + " -> " + b.fds()
                        + " and active connections " + b.active());
            }
        }
    }

    // ---- allocation profile ----

    private void allocationProfile(Path work) throws InterruptedException, IOException {
        Target t = targets.stream().filter(x -> x.name().equals("tcpproxy")).findFirst().orElse(null);
        if (t == null) {
            return;
        }
        out.println();
        out.println("JFR profile of the tcpproxy JVM (jdk.ObjectAllocationSample throttled at 5000/s, jdk.ExecutionSample every 2 ms):");
        Path streamJfr = work.resolve("stream.jfr");
        long a0 = t.reactorAllocatedBytes();
        t.startAllocationRecording();
        long bytes = 0;
        for (StreamFigure f : StreamFigure.values()) {
            bytes += Workloads.stream(t.address(Service.STREAM), f.up, f.down, options.durationMillis).bytes();
        }
        t.stopAllocationRecording(streamJfr);
        long a1 = t.reactorAllocatedBytes();
        out.printf(Locale.ROOT, "-- stream workloads: %.0f MiB relayed, reactor threads allocated %,d bytes (exact"
                + " counter)%n", bytes / MIB, a1 - a0);
        out.print(AllocationProfile.summarise(streamJfr, 12, 6));
        Path rrJfr = work.resolve("rr.jfr");
        t.startAllocationRecording();
        Workloads.Latency l = Workloads.requestResponse(t.address(Service.STREAM), options.durationMillis);
        t.stopAllocationRecording(rrJfr);
        long a2 = t.reactorAllocatedBytes();
        out.printf(Locale.ROOT, "-- rr workload: %,d round trips recorded, reactor threads allocated %,d bytes%n",
                l.count(), a2 - a1);
        out.print(AllocationProfile.summarise(rrJfr, 12, 6));
        Path rateJfr = work.resolve("rate.jfr");
        t.startAllocationRecording();
        Workloads.Rate r = Workloads.connectionRate(t.address(Service.RATE), options.rateClients,
                options.durationMillis);
        t.stopAllocationRecording(rateJfr);
        long a3 = t.reactorAllocatedBytes();
        out.printf(Locale.ROOT, "-- rate workload: %,d connections, reactor threads allocated %,d bytes (%,.0f per"
                + " connection)%n", r.count(), a3 - a2, (a3 - a2) / (double) Math.max(1, r.count() + r.errors()));
        out.print(AllocationProfile.summarise(rateJfr, 8, 6));
        out.println("-- where the reactor threads run Java code in the rate workload (jdk.ExecutionSample sees"
                + " only Java frames: reactor CPU not sampled here is spent in system calls):");
        out.print(AllocationProfile.cpu(rateJfr, 15));
        if (options.keep) {
            out.println("recordings: " + streamJfr + ", " + rrJfr + ", " + rateJfr
                    + " (jfr print --events jdk.ObjectAllocationSample FILE)");
        }
    }

    // ---- helpers ----

    /** CPU and reactor allocation of a target's process around one measurement. */
    private static final class Probe {
        private final long pid;
        private final double cpu0;
        private final long wall0;
        private final long alloc0;
        private double cpu1;
        private long wall1;
        private long alloc1;

        private Probe(Target t) {
            this.pid = t.pid();
            long a;
            try {
                a = t.reactorAllocatedBytes();
            } catch (IOException e) {
                a = -1;
            }
            this.alloc0 = a;
            this.cpu0 = pid > 0 ? ProcInfo.cpuSeconds(pid) : Double.NaN;
            this.wall0 = System.nanoTime();
        }

        static Probe start(Target t) {
            return new Probe(t);
        }

        void stop(Target t) {
            wall1 = System.nanoTime();
            cpu1 = pid > 0 ? ProcInfo.cpuSeconds(pid) : Double.NaN;
            try {
                alloc1 = alloc0 < 0 ? -1 : t.reactorAllocatedBytes();
            } catch (IOException e) {
                alloc1 = -1;
            }
        }

        double cpuPercent() {
            return 100 * (cpu1 - cpu0) / ((wall1 - wall0) / 1e9);
        }

        double cpuSeconds() {
            return cpu1 - cpu0;
        }

        long allocBytes() {
            return alloc0 < 0 || alloc1 < 0 ? -1 : alloc1 - alloc0;
        }
    }

    /**
     * CPU used so far by the bench and what it started: its own, that of the children it has
     * waited for (each redis-benchmark run, the idle workload's fresh proxies), of its processes
     * still running (redis-server, the long-lived proxies) and of targets that are not its
     * descendants (a haproxy that daemonized). A process that vanished between listing and
     * reading counts 0.
     */
    private double ourCpuSeconds() {
        Set<Long> pids = new HashSet<>();
        ProcessHandle.current().descendants().forEach(p -> pids.add(p.pid()));
        for (Target t : targets) {
            if (t.pid() > 0) {
                pids.add(t.pid());
            }
        }
        double sum = ProcInfo.cpuSecondsWithReapedChildren(ProcessHandle.current().pid());
        for (long pid : pids) {
            double cpu = ProcInfo.cpuSeconds(pid);
            if (!Double.isNaN(cpu)) {
                sum += cpu;
            }
        }
        return sum;
    }

    private void problem(String message) {
        problems.add(message);
        out.println("  ! " + message);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // a temp file left behind is harmless
                }
            });
        } catch (IOException e) {
            // same
        }
    }
}
