package io.github.tcpproxy.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The command line of {@link Bench}. */
final class Options {
    /** The workloads, in the order they run. */
    static final List<String> WORKLOADS = List.of("stream", "rr", "rate", "redis", "halfclose", "idle");

    /** The Netty relays' transports ({@link NettyRelayMain}), each a column. */
    static final List<String> NETTY_TRANSPORTS = List.of("nio", "epoll");

    /**
     * JVM flags of the child JVM that runs tcpproxy: the launcher's, read from
     * {@code tcpproxy-examples/bin/jvm.options} (copied into this jar by the build).
     */
    static final List<String> DEFAULT_PROXY_JVM = launcherJvmOptions();

    static final String USAGE = """
            usage: java -jar tcpproxy-bench.jar [options]
                   java -jar tcpproxy-bench.jar jmh [JMH options] [benchmark regexp]

              --quick               1 round of 1 s per figure, 2,000 idle connections
              --rounds N            rounds; each figure is the median over them (default 3)
              --only LIST           some of stream,rr,rate,redis,halfclose,idle (default: all; idle
                                    includes scale; redis needs redis-server and redis-benchmark)
              --duration-ms N       length of each stream, rr, rate and redis measurement (default 2000)
              --threads N           tcpproxy reactor threads = HAProxy nbthread = Netty event-loop
                                    threads (default: CPUs)
              --buffer-size BYTES   tcpproxy's relay buffer size, and the Netty relays' largest read
                                    (default: the builder's, 256 KiB)
              --tcp-nodelay BOOL    tcpproxy's TCP_NODELAY on both sockets (default: the builder's, true)
              --idle-conns N        idle connections to hold (default: as many as the open-file
                                    limit allows, at most 9,800)
              --rate-clients N      concurrent clients of the rate workload (default 32)
              --no-haproxy          do not measure HAProxy even if it is installed
              --haproxy PATH        the haproxy binary (default: found on PATH or in /usr/sbin)
              --netty LIST          Netty 4.1 relays to measure beside tcpproxy: some of nio,epoll
                                    (default: both; one that cannot start, such as epoll off Linux
                                    x86-64, is left out and named under "problems seen")
              --no-netty            measure no Netty relay
              --proxy-jvm "FLAGS"   JVM flags of the tcpproxy child JVM
                                    (default: the launcher's, tcpproxy-examples/bin/jvm.options)
              --netty-jvm "FLAGS"   JVM flags of the Netty child JVMs (default: the launcher's, as for
                                    tcpproxy without --proxy-jvm; "" for the JVM's own defaults)
              --jfr                 after the rounds, record allocations in the tcpproxy JVM with JFR
                                    during the stream, rr and rate workloads and print a summary
              --every-round         print each round's values under each figure
              --keep                keep the temporary directory (configs, logs, recordings)
              --help                this text
            """;

    boolean quick;
    int rounds = 3;
    Set<String> only = new LinkedHashSet<>(WORKLOADS);
    long durationMillis = 2000;
    int threads = Runtime.getRuntime().availableProcessors();
    int bufferSize = io.github.tcpproxy.TcpProxy.Builder.DEFAULT_BUFFER_SIZE;
    boolean tcpNoDelay = true;
    int idleConnections = -1;
    int rateClients = 32;
    boolean haproxy = true;
    String haproxyPath;
    Set<String> netty = new LinkedHashSet<>(NETTY_TRANSPORTS);
    List<String> proxyJvm = DEFAULT_PROXY_JVM;
    List<String> nettyJvm = DEFAULT_PROXY_JVM;
    boolean jfr;
    boolean everyRound;
    boolean keep;
    boolean help;

    /** The flags in the launcher's {@code jvm.options}: one or more per line, {@code #} starts a comment. */
    static List<String> launcherJvmOptions() {
        try (InputStream in = Options.class.getResourceAsStream("jvm.options")) {
            if (in == null) {
                throw new IllegalStateException("jvm.options is missing from the bench jar; rebuild it");
            }
            return jvmOptions(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read jvm.options from the bench jar", e);
        }
    }

    static List<String> jvmOptions(String text) {
        List<String> flags = new ArrayList<>();
        for (String line : text.split("\n")) {
            int hash = line.indexOf('#');
            String content = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (!content.isEmpty()) {
                flags.addAll(Arrays.asList(content.split("\\s+")));
            }
        }
        return List.copyOf(flags);
    }

    /**
     * Parses the arguments.
     *
     * @throws IllegalArgumentException naming the bad argument
     */
    static Options parse(String... args) {
        Options o = new Options();
        boolean roundsGiven = false;
        boolean durationGiven = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick" -> o.quick = true;
                case "--rounds" -> {
                    o.rounds = intArg(args, ++i, a, 1, 100);
                    roundsGiven = true;
                }
                case "--only" -> o.only = listArg(args, ++i, a, WORKLOADS);
                case "--duration-ms" -> {
                    o.durationMillis = intArg(args, ++i, a, 200, 60_000);
                    durationGiven = true;
                }
                case "--threads" -> o.threads = intArg(args, ++i, a, 1, 64);
                case "--buffer-size" -> o.bufferSize = intArg(args, ++i, a, 1024, 16 * 1024 * 1024);
                case "--tcp-nodelay" -> o.tcpNoDelay = booleanArg(args, ++i, a);
                case "--idle-conns" -> o.idleConnections = intArg(args, ++i, a, 1, 1_000_000);
                case "--rate-clients" -> o.rateClients = intArg(args, ++i, a, 1, 250);
                case "--no-haproxy" -> o.haproxy = false;
                case "--haproxy" -> o.haproxyPath = value(args, ++i, a);
                case "--netty" -> o.netty = listArg(args, ++i, a, NETTY_TRANSPORTS);
                case "--no-netty" -> o.netty = new LinkedHashSet<>();
                case "--proxy-jvm" -> o.proxyJvm = flagsArg(args, ++i, a);
                case "--netty-jvm" -> o.nettyJvm = flagsArg(args, ++i, a);
                case "--jfr" -> o.jfr = true;
                case "--every-round" -> o.everyRound = true;
                case "--keep" -> o.keep = true;
                case "--help", "-h" -> o.help = true;
                default -> throw new IllegalArgumentException("unknown option '" + a + "'");
            }
        }
        if (o.quick) {
            if (!roundsGiven) {
                o.rounds = 1;
            }
            if (!durationGiven) {
                o.durationMillis = 1000;
            }
            if (o.idleConnections < 0) {
                o.idleConnections = 2000;
            }
        }
        return o;
    }

    private static List<String> flagsArg(String[] args, int i, String option) {
        String v = value(args, i, option).trim();
        return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
    }

    /** A comma-separated subset of {@code known}, in {@code known}'s order. */
    private static Set<String> listArg(String[] args, int i, String option, List<String> known) {
        Set<String> given = new LinkedHashSet<>();
        for (String w : value(args, i, option).split(",")) {
            String name = w.trim();
            if (!known.contains(name)) {
                throw new IllegalArgumentException(option + ": unknown value '" + name + "'; known: "
                        + String.join(",", known));
            }
            given.add(name);
        }
        Set<String> ordered = new LinkedHashSet<>();
        for (String k : known) {
            if (given.contains(k)) {
                ordered.add(k);
            }
        }
        return ordered;
    }

    /**
     * The default number of idle connections: each costs the bench two descriptors (client and
     * backend socket) and the proxy two (its client and backend socket), so half the limit, less a
     * margin for everything else, and at most 9,800.
     */
    static int defaultIdleConnections(int openFileLimit) {
        return Math.max(100, Math.min(9_800, (openFileLimit - 400) / 2));
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static boolean booleanArg(String[] args, int i, String option) {
        String v = value(args, i, option);
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(option + " '" + v + "' is neither true nor false");
        };
    }

    private static int intArg(String[] args, int i, String option, int min, int max) {
        String v = value(args, i, option);
        int n;
        try {
            n = Integer.parseInt(v.replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " '" + v + "' is not a whole number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(option + " " + n + " is out of range " + min + "-" + max);
        }
        return n;
    }
}
