package io.github.tcpproxy.bench;

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
import java.util.function.Supplier;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * The command loop of a relay in a child JVM ({@link ProxyMain}, {@link NettyRelayMain}): one
 * command per line on standard input, one answer line on standard output. Commands: {@code stats}
 * (the relay's counters, active client connections first), {@code gc} (heap after a full GC),
 * {@code alloc} (bytes allocated so far by the relay's event-loop threads), {@code jfr-start},
 * {@code jfr-stop FILE}, {@code quit}. End of input means quit too, so the child never outlives the
 * bench.
 */
final class ChildCommands {
    private final PrintStream out;
    private final Supplier<String> stats;
    private final String eventLoopThreadPrefix;
    private Recording recording;

    /**
     * @param out where answers go (the child's standard output)
     * @param stats the {@code STATS} answer: space-separated counters, active client connections first
     * @param eventLoopThreadPrefix the name prefix of the threads whose allocations {@code alloc} sums
     */
    ChildCommands(PrintStream out, Supplier<String> stats, String eventLoopThreadPrefix) {
        this.out = out;
        this.stats = stats;
        this.eventLoopThreadPrefix = eventLoopThreadPrefix;
    }

    /** Serves commands until {@code quit} or end of input; the caller closes its relay after. */
    void serve() throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] cmd = line.trim().split("\\s+", 2);
            try {
                switch (cmd[0]) {
                    case "stats" -> out.println("STATS " + stats.get());
                    case "gc" -> out.println("HEAP " + heapAfterGc());
                    case "alloc" -> out.println("ALLOC " + allocatedBytes());
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
                        return;
                    }
                    default -> out.println("ERR unknown command '" + line + "'");
                }
            } catch (IOException | ParseException | RuntimeException e) {
                out.println("ERR " + e.toString().replace('\n', ' '));
            }
        }
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
                    Thread.sleep(50); // let the reference handler, cleaner and event-loop threads run
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

    /** Bytes allocated on the heap so far by the live event-loop threads (HotSpot's exact counter). */
    private long allocatedBytes() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean hs)) {
            return -1;
        }
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(eventLoopThreadPrefix)) {
                total += Math.max(0, hs.getThreadAllocatedBytes(t.getId()));
            }
        }
        return total;
    }
}
