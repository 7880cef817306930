package io.github.tcpproxy.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises the {@code jdk.ObjectAllocationSample} events of a JFR recording: estimated bytes by
 * thread kind, allocated class and top frames, largest first. The same as
 * {@code jfr print --events jdk.ObjectAllocationSample FILE}, grouped.
 */
final class AllocationProfile {
    private AllocationProfile() {
    }

    /** The summary, {@code top} lines at most, with {@code frames} frames per stack. */
    static String summarise(Path recording, int top, int frames) throws IOException {
        Map<String, long[]> byKey = new HashMap<>();
        long totalWeight = 0;
        long reactorWeight = 0;
        long events = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            if (!e.getEventType().getName().equals("jdk.ObjectAllocationSample")) {
                continue;
            }
            events++;
            long weight = e.getLong("weight");
            totalWeight += weight;
            RecordedThread thread = e.getThread("eventThread");
            String threadName = thread == null ? "?" : thread.getJavaName();
            boolean reactor = threadName != null && threadName.startsWith(ProxyMain.REACTOR_THREAD_PREFIX);
            if (reactor) {
                reactorWeight += weight;
            }
            StringBuilder key = new StringBuilder(reactor ? "[reactor] " : "[" + threadName + "] ");
            key.append(e.getClass("objectClass").getName());
            RecordedStackTrace stack = e.getStackTrace();
            if (stack != null) {
                List<RecordedFrame> fs = stack.getFrames();
                for (int i = 0; i < Math.min(frames, fs.size()); i++) {
                    RecordedFrame f = fs.get(i);
                    key.append("\n        at ").append(f.getMethod().getType().getName()).append('.')
                            .append(f.getMethod().getName()).append(':').append(f.getLineNumber());
                }
            }
            long[] acc = byKey.computeIfAbsent(key.toString(), k -> new long[2]);
            acc[0] += weight;
            acc[1]++;
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%d allocation samples, ~%,d bytes estimated in all, ~%,d on reactor threads%n",
                events, totalWeight, reactorWeight));
        long shown = totalWeight;
        byKey.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                .limit(top)
                .forEach(en -> sb.append(String.format(Locale.ROOT, "  %5.1f%%  ~%,d B in %d sample(s)  %s%n",
                        shown == 0 ? 0.0 : 100.0 * en.getValue()[0] / shown, en.getValue()[0], en.getValue()[1],
                        en.getKey())));
        return sb.toString();
    }

    /**
     * Summarises the {@code jdk.ExecutionSample} events of the reactor threads: the share of
     * samples by top frame (where the CPU is), and by the innermost tcpproxy frame (which of our
     * calls led there).
     */
    static String cpu(Path recording, int top) throws IOException {
        Map<String, long[]> byTop = new HashMap<>();
        Map<String, long[]> byOurs = new HashMap<>();
        long samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedThread thread = e.getThread("sampledThread");
            String name = thread == null ? null : thread.getJavaName();
            if (name == null || !name.startsWith(ProxyMain.REACTOR_THREAD_PREFIX)) {
                continue;
            }
            RecordedStackTrace stack = e.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            List<RecordedFrame> fs = stack.getFrames();
            byTop.computeIfAbsent(frame(fs.get(0)), k -> new long[1])[0]++;
            for (RecordedFrame f : fs) {
                if (f.getMethod().getType().getName().startsWith("io.github.tcpproxy.")) {
                    byOurs.computeIfAbsent(frame(f), k -> new long[1])[0]++;
                    break;
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%d execution samples on reactor threads; by top frame:%n", samples));
        appendTop(sb, byTop, samples, top);
        sb.append("by innermost tcpproxy frame:\n");
        appendTop(sb, byOurs, samples, top);
        return sb.toString();
    }

    private static String frame(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber();
    }

    private static void appendTop(StringBuilder sb, Map<String, long[]> counts, long total, int top) {
        counts.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                .limit(top)
                .forEach(en -> sb.append(String.format(Locale.ROOT, "  %5.1f%%  %s%n",
                        total == 0 ? 0.0 : 100.0 * en.getValue()[0] / total, en.getKey())));
    }
}
