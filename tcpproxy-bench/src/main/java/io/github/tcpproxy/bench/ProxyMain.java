package io.github.tcpproxy.bench;

import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The proxy under test, in its own JVM: a launcher-like main that starts one tcpproxy per
 * {@code --backend}, each on 127.0.0.1 port 0, prints {@code READY port...} and then obeys one
 * command per line on standard input, answering one line on standard output. The bench talks to it
 * that way so that its own clients and backends (their garbage, their JIT) do not share the
 * proxy's heap, as they would not in production, and so that the proxy's memory can be read from
 * {@code /proc} on its own.
 *
 * <pre>
 * java [JVM flags] -cp tcpproxy-bench.jar io.github.tcpproxy.bench.ProxyMain \
 *      --threads 2 --buffer-size 262144 --tcp-nodelay true --backend 127.0.0.1:9000 [--backend ...]
 * </pre>
 *
 * Commands: see {@link ChildCommands}; {@code stats} sums the proxies' counters.
 */
public final class ProxyMain {
    /** The engine names its reactor threads so: we count their allocations. */
    static final String REACTOR_THREAD_PREFIX = "tcpproxy-reactor-";

    private ProxyMain() {
    }

    /**
     * Starts the proxies and serves commands until {@code quit} or end of input.
     *
     * @param args {@code --threads N}, {@code --buffer-size BYTES}, {@code --tcp-nodelay true|false},
     *     {@code --backend HOST:PORT}...
     */
    public static void main(String[] args) throws IOException {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        int threads = Runtime.getRuntime().availableProcessors();
        int bufferSize = TcpProxy.Builder.DEFAULT_BUFFER_SIZE;
        boolean tcpNoDelay = true;
        List<String> backends = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--buffer-size" -> bufferSize = Integer.parseInt(args[++i]);
                case "--tcp-nodelay" -> tcpNoDelay = Boolean.parseBoolean(args[++i]);
                case "--backend" -> backends.add(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "'; known: --threads N, --buffer-size BYTES, --tcp-nodelay true|false, --backend HOST:PORT");
            }
        }
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("give at least one --backend HOST:PORT");
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        List<RunningProxy> proxies = new ArrayList<>();
        StringBuilder ready = new StringBuilder("READY");
        for (String backend : backends) {
            RunningProxy proxy = TcpProxy.builder()
                    .listen("127.0.0.1:0")
                    .backend(io.github.tcpproxy.Backend.parse(backend))
                    .reactorThreads(threads)
                    .bufferSize(bufferSize)
                    .tcpNoDelay(tcpNoDelay)
                    .acceptBacklog(4096)
                    .drainTimeout(Duration.ZERO)
                    .start();
            proxies.add(proxy);
            ready.append(' ').append(proxy.localAddress().getPort());
        }
        out.println(ready);
        try {
            new ChildCommands(out, () -> stats(proxies), REACTOR_THREAD_PREFIX).serve();
        } finally {
            closeAll(proxies);
        }
        out.println("BYE");
    }

    private static String stats(List<RunningProxy> proxies) {
        long active = 0;
        long total = 0;
        long up = 0;
        long down = 0;
        long buffered = 0;
        long failures = 0;
        long noBackend = 0;
        for (RunningProxy p : proxies) {
            ProxyStats s = p.stats();
            active += s.activeConnections();
            total += s.totalConnections();
            up += s.bytesClientToBackend();
            down += s.bytesBackendToClient();
            buffered += s.bufferedBytes();
            failures += s.connectFailures();
            noBackend += s.noBackendClosures();
        }
        return active + " " + total + " " + up + " " + down + " " + buffered + " " + failures + " " + noBackend;
    }

    private static void closeAll(List<RunningProxy> proxies) {
        for (RunningProxy p : proxies) {
            p.close(Duration.ZERO);
        }
    }
}
