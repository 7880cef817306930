package io.github.tcpproxy.examples.launcher;

import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.RefusalReason;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The launcher's access log ({@code --access-log FILE}, or {@code -} for standard output): one
 * line per client connection, written when it ends, fields separated by one space:
 *
 * <pre>
 * 2026-11-26T01:02:03.456Z 17 127.0.0.1:50312 127.0.0.1:8080 completed client 120 4500 35
 * time                     id client          backend        end       first up  down ms
 * </pre>
 *
 * <ol>
 *   <li>time the connection ended, ISO-8601 UTC with milliseconds;
 *   <li>the connection's number, or {@code -} for a refused client;
 *   <li>the client's address;
 *   <li>the backend's address, or {@code -} if none was connected;
 *   <li>how it ended: {@code completed}, {@code reset}, {@code no-backend}, {@code idle-timeout},
 *       {@code half-closed-timeout}, {@code shutdown}, {@code proxy-protocol-error}, or for a
 *       refused client
 *       {@code refused-denied}, {@code refused-max-connections},
 *       {@code refused-max-connections-per-client}, {@code refused-rate-limited};
 *   <li>who ended it first: {@code client}, {@code backend} or {@code proxy};
 *   <li>bytes from the client to the backend;
 *   <li>bytes from the backend to the client;
 *   <li>duration in milliseconds.
 * </ol>
 *
 * <p>The proxy's reactor threads only put lines in a bounded queue; one thread of its own
 * writes them, so a slow disk never slows the relay. When the queue is full a line is dropped
 * and counted, and the count is written as a line of its own ({@code # N line(s) dropped}) once
 * there is room again. When a write fails (a full disk), one error line goes to standard error
 * and every later line is dropped; {@link #close()} says on standard error how many lines at
 * least were not written.
 */
final class AccessLog implements ConnectionListener, AutoCloseable {
    private static final int QUEUE_LINES = 16_384;
    private static final long CLOSE_WAIT_MILLIS = 5_000;
    private static final String STOP = "";
    // Instant.toString() leaves out a zero fraction (".000"), and with it the documented
    // milliseconds; a fixed pattern always has three digits.
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(QUEUE_LINES);
    private final AtomicLong dropped = new AtomicLong();
    private final Writer writer;
    private final boolean closeWriter;
    private final Thread thread;
    private volatile boolean closed;
    /** Set by the writer thread as it ends: from then on nobody takes lines, so none are queued. */
    private volatile boolean writerEnded;
    /** A write failed: the writer ended early and {@link #dropped} counts every line since. */
    private volatile boolean writeFailed;

    private AccessLog(Writer writer, boolean closeWriter) {
        this.writer = writer;
        this.closeWriter = closeWriter;
        this.thread = new Thread(this::writeLoop, "tcpproxy-access-log");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Opens the access log: appends to {@code target}, or writes to {@code stdout} if it is
     * {@code -}.
     *
     * @throws IllegalArgumentException naming the file if it cannot be opened for appending
     */
    static AccessLog open(String target, OutputStream stdout) {
        if (target.equals("-")) {
            return new AccessLog(new WholeLines(stdout), false);
        }
        try {
            return new AccessLog(Files.newBufferedWriter(Path.of(target), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE), true);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("access log '" + target + "' cannot be opened: " + e.getMessage(), e);
        }
    }

    /** The line for one finished connection, as documented above, without the line break. */
    static String format(Instant at, ConnectionSummary s) {
        return TIME.format(at) + " " + s.id() + " " + Launcher.format(s.client()) + " "
                + (s.backend() != null ? Launcher.format(s.backend()) : "-") + " " + word(s.end().name()) + " "
                + word(s.endedFirst().name()) + " " + s.bytesClientToBackend() + " " + s.bytesBackendToClient()
                + " " + s.duration().toMillis();
    }

    /** The line for one refused client, as documented above, without the line break. */
    static String formatRefused(Instant at, InetSocketAddress client, RefusalReason reason) {
        return TIME.format(at) + " - " + Launcher.format(client) + " - refused-"
                + word(reason.name()) + " proxy 0 0 0";
    }

    private static String word(String enumName) {
        return enumName.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @Override
    public void closed(ConnectionSummary summary) {
        offer(format(Instant.now(), summary));
    }

    @Override
    public void refused(InetSocketAddress client, RefusalReason reason) {
        offer(formatRefused(Instant.now(), client, reason));
    }

    private void offer(String line) {
        if (closed || writerEnded || !lines.offer(line)) {
            dropped.incrementAndGet();
        }
    }

    private void writeLoop() {
        boolean inHand = false; // a log line is being written: if that fails, it is lost
        try {
            while (true) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line == STOP) {
                    reportDropsAndFlush(); // drops close() made wait for room are reported too
                    break;
                }
                if (line == null) {
                    continue;
                }
                inHand = true;
                writeLine(line);
                inHand = false;
                if (lines.isEmpty()) {
                    reportDropsAndFlush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            writeFailed = true;
            if (inHand) {
                dropped.incrementAndGet();
            }
            System.err.println("tcpproxy: access log write failed, no more lines will be written: " + e.getMessage());
        } finally {
            writerEnded = true;
            // Frees the queue's lines, and room for close()'s stop marker should it be waiting
            // for some: the only lines queued after this are those of offers already under way.
            long left = drainQueue();
            if (writeFailed) {
                dropped.addAndGet(left);
            }
            try {
                writer.flush();
            } catch (IOException e) {
                // Reported above if writing failed; nothing more to do on the way out.
            }
        }
    }

    /** Writes the count of lines dropped since the last report, if any, and flushes. */
    private void reportDropsAndFlush() throws IOException {
        // Uncounted only once the report is out: if writing it fails, those lines count as lost.
        long d = dropped.get();
        if (d > 0) {
            writeLine("# " + d + " line(s) dropped: the access log could not keep up");
        }
        writer.flush();
        dropped.addAndGet(-d);
    }

    /** Empties the queue; returns how many log lines (not stop markers) it held. */
    private long drainQueue() {
        long n = 0;
        for (String line; (line = lines.poll()) != null; ) {
            if (line != STOP) {
                n++;
            }
        }
        return n;
    }

    /**
     * After a failed write, what close() tells standard error about the lines that were not
     * written (the error line said only that later lines would not be); null if no write failed.
     * A lower bound: lines the writer had buffered when the failure came are not known.
     */
    String lostLinesReport() {
        long d = dropped.get();
        return writeFailed && d > 0
                ? "tcpproxy: at least " + d + " access log line(s) were not written: a write failed"
                : null;
    }

    private void writeLine(String line) throws IOException {
        writer.write(line);
        writer.write('\n');
    }

    /** Writes what is queued, then stops the writer thread and closes the file. Call after the proxy closed. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean interrupted = false;
        try {
            // The queue may be full; a running writer drains it, and an ended one emptied it, so
            // this wait is short. After a failed write there is nobody to stop.
            if (!writerEnded && !lines.offer(STOP, CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                thread.interrupt();
            }
            thread.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (writeFailed) {
            dropped.addAndGet(drainQueue()); // offers that raced the writer's end
        }
        String lost = lostLinesReport();
        if (lost != null) {
            System.err.println(lost);
        }
        if (closeWriter) {
            try {
                writer.close();
            } catch (IOException e) {
                System.err.println("tcpproxy: closing the access log failed: " + e.getMessage());
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A writer that hands its stream whole lines only, each batch in one {@code write} call: the
     * launcher prints its own lines (reloads, stopping) to the same standard output from other
     * threads, and a {@code PrintStream} keeps one call's bytes together, but a plain buffered
     * writer cuts its batches anywhere, mid-line included.
     */
    private static final class WholeLines extends Writer {
        private static final int BATCH = 8192;
        private final OutputStream out;
        private final StringBuilder pending = new StringBuilder(BATCH + 256);

        WholeLines(OutputStream out) {
            this.out = out;
        }

        @Override // Writer's other write methods come here
        public void write(char[] chars, int off, int len) throws IOException {
            pending.append(chars, off, len);
            if (pending.length() >= BATCH) {
                writeWholeLines();
            }
        }

        @Override
        public void flush() throws IOException {
            writeWholeLines();
            out.flush();
        }

        @Override
        public void close() throws IOException {
            flush();
        }

        private void writeWholeLines() throws IOException {
            int end = pending.lastIndexOf("\n") + 1;
            if (end == 0) {
                return;
            }
            out.write(pending.substring(0, end).getBytes(StandardCharsets.UTF_8));
            pending.delete(0, end);
        }
    }
}
