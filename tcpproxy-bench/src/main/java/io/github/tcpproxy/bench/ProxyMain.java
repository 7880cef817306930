package io.github.tcpproxy.bench;

import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

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
 * Commands: {@code stats} (counters summed over the proxies), {@code gc} (heap after a full GC),
 * {@code alloc} (bytes allocated so far by the reactor threads), {@code jfr-start},
 * {@code jfr-stop FILE}, {@code quit}. End of input means quit too, so the child never outlives the
 * bench.
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
        Recording recording = null;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] cmd = line.trim().split("\\s+", 2);
            try {
                switch (cmd[0]) {
                    case "stats" -> out.println("STATS " + stats(proxies));
                    case "gc" -> out.println("HEAP " + heapAfterGc());
                    case "alloc" -> out.println("ALLOC " + reactorAllocatedBytes());
                    case "jfr-start" -> {
                        if (recording != null) {
                            recording.close();
                        }
                        recording = new Recording(Configuration.getConfiguration("profile"));
                        // More samples than the profile's 300/s: the hot path should yield few anyway.
                        recording.enable("jdk.ObjectAllocationSample").with("throttle", "5000/s");
                        recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(2));
                        recording.start();
                        out.println("OK");
                    }
                    case "jfr-stop" -> {
                        if (recording == null) {
                            out.println("ERR no recording");
                        } else {
                            recording.stop();
                            recording.dump(Path.of(cmd[1]));
                            recording.close();
                            recording = null;
                            out.println("OK");
                        }
                    }
                    case "quit" -> {
                        closeAll(proxies);
                        out.println("BYE");
                        return;
                    }
                    default -> out.println("ERR unknown command '" + line + "'");
                }
            } catch (IOException | ParseException | RuntimeException e) {
                out.println("ERR " + e.toString().replace('\n', ' '));
            }
        }
        closeAll(proxies);
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

    /**
     * {@code used committed directUsed directCount gcCount} after full collections. One is not
     * enough right after many sockets closed: what the closing left for the reference handler and
     * the selectors' next turn is freed only by a later collection. So collect five times, 50 ms
     * apart, and report the smallest heap seen: the live data.
     */
    private static String heapAfterGc() {
        java.lang.management.MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            if (i > 0) {
                try {
                    Thread.sleep(50); // let the reference handler, cleaner and reactor threads run
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        long committed = memory.getHeapMemoryUsage().getCommitted();
        long directUsed = 0;
        long directCount = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                directUsed = pool.getMemoryUsed();
                directCount = pool.getCount();
            }
        }
        long gcs = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs += Math.max(0, gc.getCollectionCount());
        }
        return used + " " + committed + " " + directUsed + " " + directCount + " " + gcs;
    }

    /** Bytes allocated on the heap so far by the live reactor threads (HotSpot's exact counter). */
    private static long reactorAllocatedBytes() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean hs)) {
            return -1;
        }
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(REACTOR_THREAD_PREFIX)) {
                total += Math.max(0, hs.getThreadAllocatedBytes(t.getId()));
            }
        }
        return total;
    }

    private static void closeAll(List<RunningProxy> proxies) {
        for (RunningProxy p : proxies) {
            p.close(Duration.ZERO);
        }
    }
}
