package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.ConnectionSummary.End;
import io.github.tcpproxy.ConnectionSummary.Side;
import io.github.tcpproxy.RefusalReason;
import io.github.tcpproxy.testing.Await;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's access log, limits and access lists, and stopping on a second signal. */
@Timeout(30)
class LauncherHardeningTest {
    /** A finished connection, for the access log tests that only count lines. */
    private static final ConnectionSummary A_CONNECTION = new ConnectionSummary(1,
            new InetSocketAddress("127.0.0.1", 50312), new InetSocketAddress("127.0.0.1", 8080), 1, 1,
            Duration.ofMillis(1), End.COMPLETED, Side.CLIENT);

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private Session session;

    @AfterEach
    void stop() {
        if (session != null) {
            session.closeNow();
            session.close();
        }
    }

    @Test
    void accessLogLinesHaveTheDocumentedFormat() {
        Instant at = Instant.parse("2026-11-26T01:02:03.456789Z");
        ConnectionSummary s = new ConnectionSummary(17, new InetSocketAddress("127.0.0.1", 50312),
                new InetSocketAddress("::1", 8080), 120, 4500, Duration.ofMillis(35), End.HALF_CLOSED_TIMEOUT,
                Side.BACKEND);
        assertThat(AccessLog.format(at, s))
                .isEqualTo("2026-11-26T01:02:03.456Z 17 127.0.0.1:50312 [::1]:8080 half-closed-timeout"
                        + " backend 120 4500 35");
        ConnectionSummary none = new ConnectionSummary(3, new InetSocketAddress("10.0.0.1", 1), null, 0, 0,
                Duration.ofMillis(2), End.NO_BACKEND, Side.PROXY);
        assertThat(AccessLog.format(at, none)).endsWith(" 3 10.0.0.1:1 - no-backend proxy 0 0 2");
        assertThat(AccessLog.formatRefused(at, new InetSocketAddress("10.0.0.2", 2), RefusalReason.MAX_CONNECTIONS_PER_CLIENT))
                .isEqualTo("2026-11-26T01:02:03.456Z - 10.0.0.2:2 - refused-max-connections-per-client proxy 0 0 0");
    }

    @Test
    void accessLogTimeHasMillisecondsAlsoOnAWholeSecond() {
        Instant at = Instant.parse("2026-11-26T01:02:03Z");
        ConnectionSummary s = new ConnectionSummary(17, new InetSocketAddress("127.0.0.1", 50312),
                new InetSocketAddress("127.0.0.1", 8080), 120, 4500, Duration.ofMillis(35), End.COMPLETED,
                Side.CLIENT);
        assertThat(AccessLog.format(at, s))
                .isEqualTo("2026-11-26T01:02:03.000Z 17 127.0.0.1:50312 127.0.0.1:8080 completed client 120 4500 35");
        assertThat(AccessLog.formatRefused(at, new InetSocketAddress("10.0.0.2", 2), RefusalReason.DENIED))
                .startsWith("2026-11-26T01:02:03.000Z - ");
    }

    /**
     * After a failed write (a full disk) nobody takes lines from the queue; close() must not wait
     * its 5 s for room for a stop marker, which would delay stopping the launcher by as much.
     */
    @Test
    void closeIsPromptAfterAFailedWriteWithTheQueueFull() {
        AtomicInteger attempts = new AtomicInteger();
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                attempts.incrementAndGet();
                throw new IOException("No space left on device");
            }
        };
        AccessLog log = AccessLog.open("-", failing);
        log.closed(A_CONNECTION);
        Await.until("the writer met the failure", Duration.ofSeconds(10), () -> attempts.get() > 0);
        // More than the queue's 16384 lines.
        for (int i = 0; i < 20_000; i++) {
            log.closed(A_CONNECTION);
        }

        // Before the fix close() waited its whole 5 s for room in the full queue, which no writer
        // would make: it must return without that wait (the bound only catches the wait).
        CompletableFuture<Void> closing = CompletableFuture.runAsync(log::close);
        Await.until("close() returned without waiting for the full queue", Duration.ofSeconds(4), closing::isDone);
        assertThat(closing).isCompleted();
        // close() reports a lower bound of the lines lost: here the 20,000 offered after the
        // failure, queued or not (the first line failed in flush(), while it was buffered).
        String report = log.lostLinesReport();
        assertThat(report).isEqualTo("tcpproxy: at least 20000 access log line(s) were not written: a write failed");
    }

    /**
     * The queue overflows while the writer waits on a slow disk, and then the write of the
     * "# N line(s) dropped" report fails: those N lines must still count as not written.
     */
    @Test
    void linesDroppedBeforeAFailedReportCountAsLost() throws Exception {
        GatedOutput disk = new GatedOutput(true);
        AccessLog log = overflowWhileTheDiskWaits(disk);
        log.close();

        assertThat(log.lostLinesReport())
                .isEqualTo("tcpproxy: at least 3616 access log line(s) were not written: a write failed");
        assertThat(20_001 - disk.newlines.get()).as("lines that really are not in the log").isGreaterThanOrEqualTo(3_616);
    }

    /** Lines dropped just before close() are reported in the log too, not forgotten. */
    @Test
    void dropsPendingAtCloseAreReportedInTheLog() throws Exception {
        GatedOutput disk = new GatedOutput(false);
        AccessLog log = overflowWhileTheDiskWaits(disk);
        log.close();

        assertThat(log.lostLinesReport()).isNull();
        assertThat(disk.newlines.get()).isEqualTo(16_385 + 1);
        assertThat(disk.text()).endsWith("# 3616 line(s) dropped: the access log could not keep up\n");
    }

    /** One line the writer blocks on, then 20,000 more: 16,384 fit in the queue, 3,616 are dropped. */
    private static AccessLog overflowWhileTheDiskWaits(GatedOutput disk) throws InterruptedException {
        AccessLog log = AccessLog.open("-", disk);
        log.closed(A_CONNECTION);
        assertThat(disk.entered.await(10, TimeUnit.SECONDS)).as("the writer reached the disk").isTrue();
        for (int i = 0; i < 20_000; i++) {
            log.closed(A_CONNECTION);
        }
        disk.go.countDown();
        return log;
    }

    /** A disk whose first write waits for {@link #go}, and that is full for a "#" if so told. */
    private static final class GatedOutput extends OutputStream {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        final AtomicInteger newlines = new AtomicInteger();
        private final boolean fullAtHash;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private boolean first = true;

        GatedOutput(boolean fullAtHash) {
            this.fullAtHash = fullAtHash;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (first) {
                first = false;
                entered.countDown();
                try {
                    if (!go.await(30, TimeUnit.SECONDS)) {
                        throw new IOException("the test did not let the write go on");
                    }
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            for (int i = off; i < off + len; i++) {
                if (fullAtHash && b[i] == '#') {
                    throw new IOException("No space left on device");
                }
            }
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    newlines.incrementAndGet();
                }
            }
            kept.write(b, off, len);
        }

        synchronized String text() {
            return kept.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void theAccessLogFileGetsOneLinePerConnection(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        session = start("--demo", "--listen", "127.0.0.1:0", "--drain-timeout", "1s", "--access-log", file.toString());
        String answer = ask(session.localAddress(), "hello");
        assertThat(answer).endsWith("] hello");
        session.close();

        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).matches("\\S+Z 1 127\\.0\\.0\\.1:\\d+ 127\\.0\\.0\\.1:\\d+ completed client 6 "
                + (answer.length() + 1) + " \\d+");
    }

    @Test
    void limitAndAccessListFlagsReachTheProxyAndRefusalsAreLogged() throws Exception {
        session = start("--demo", "--listen", "127.0.0.1:0", "--drain-timeout", "1s", "--max-connections", "1",
                "--deny", "127.0.0.2/32,::2", "--idle-timeout", "1m", "--access-log", "-");
        try (Socket first = connect(session.localAddress())) {
            assertThat(converse(first, "one")).endsWith("] one");
            assertThat(ask(session.localAddress(), "two")).as("answer to a second client over the limit").isNull();
            assertThat(session.proxy().stats().refusedMaxConnections()).isEqualTo(1);
        }
        Await.until("the refusal is in the access log", Duration.ofSeconds(10),
                () -> out.toString(StandardCharsets.UTF_8).contains(" refused-max-connections proxy 0 0 0"));
    }

    @Test
    @Timeout(60)
    void accessLogLinesOnStandardOutputStayWholeBesideTheLaunchersOwnLines() throws Exception {
        // The launcher prints reload and stop lines to the same standard output from other
        // threads; the log's buffered writer handed it 8 KiB cuts, mid-line, between which such a
        // line could land (a helper saw it in every run of this test).
        String own = "tcpproxy: reloaded proxy.yaml: backends unchanged";
        String logLine = AccessLog.format(Instant.EPOCH, A_CONNECTION).substring(24); // after the time
        PrintStream shared = new PrintStream(out, true, StandardCharsets.UTF_8);
        AccessLog log = AccessLog.open("-", shared);
        AtomicBoolean logClosed = new AtomicBoolean();
        CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 2_000_000 && !logClosed.get(); i++) {
                shared.println(own);
            }
        });
        for (int i = 0; i < 100_000; i++) {
            log.closed(A_CONNECTION);
        }
        log.close();
        logClosed.set(true);
        other.get(30, TimeUnit.SECONDS);
        List<String> garbled = out.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> !l.equals(own) && !l.endsWith(logLine) && !l.startsWith("# ")).limit(3).toList();
        assertThat(garbled).isEmpty();
    }

    @Test
    void signalsStopAProxyWhoseDrainTimeIsTooLongForMilliseconds() throws Exception {
        // The first signal's message formatted the drain time in milliseconds, which overflowed:
        // the signal threw, and the second one did not stop the launcher either.
        Duration forever = Duration.ofHours(9_999_999_999_999L);
        session = start("--demo", "--listen", "127.0.0.1:0", "--drain-timeout", forever.toString());
        Launcher.Stopper stopper = new Launcher.Stopper(session, new PrintStream(out, true, StandardCharsets.UTF_8),
                forever);
        stopper.signal();
        stopper.signal();
        assertThat(session.awaitClosed(Duration.ofSeconds(15))).as("closed after the second signal").isTrue();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("get up to PT9999999999999H to finish");
    }

    @Test
    void aSecondSignalResetsOpenConnectionsAtOnce() throws Exception {
        session = start("--demo", "--listen", "127.0.0.1:0", "--drain-timeout", "1m");
        Launcher.Stopper stopper = new Launcher.Stopper(session, new PrintStream(out, true, StandardCharsets.UTF_8),
                Duration.ofMinutes(1));
        try (Socket client = connect(session.localAddress())) {
            assertThat(converse(client, "before")).endsWith("] before");

            stopper.signal();
            Await.until("the proxy stops accepting", Duration.ofSeconds(10), () -> !session.proxy().isRunning());
            assertThat(converse(client, "draining")).as("an open connection is served while draining")
                    .endsWith("] draining");
            assertThat(session.awaitClosed(Duration.ofMillis(1))).isFalse();

            stopper.signal();
            assertThat(session.awaitClosed(Duration.ofSeconds(15))).as("closed well before the 1 minute drain")
                    .isTrue();
            try {
                assertThat(client.getInputStream().read()).isEqualTo(-1);
            } catch (IOException e) {
                // A reset: the connection was cut, as it should be.
            }
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("signal again to stop at once",
                "stopping at once");
    }

    @Test
    void badValuesAreUsageErrorsNamingThem(@TempDir Path dir) {
        String[][] cases = {
            {"--access-log", dir.resolve("no-such-dir").resolve("access.log").toString()},
            {"--max-connections", "-1"},
            {"--allow", "10.0.0.0/33"},
            {"--send-proxy-protocol", "v9"},
            {"--idle-timeout", "-5s"},
            {"--receive-buffer-size", "999999999999"},
        };
        String[] expected = {"access log", "max connections -1", "10.0.0.0/33", "'v9'", "-5s", "999999999999"};
        for (int i = 0; i < cases.length; i++) {
            ByteArrayOutputStream caseErr = new ByteArrayOutputStream();
            String[] args = new String[cases[i].length + 4];
            args[0] = "--demo";
            args[1] = "--listen";
            args[2] = "127.0.0.1:0";
            args[3] = "--drain-timeout=1s";
            System.arraycopy(cases[i], 0, args, 4, cases[i].length);
            Launcher.Result result = Launcher.start(args, new PrintStream(new ByteArrayOutputStream(), true,
                    StandardCharsets.UTF_8), new PrintStream(caseErr, true, StandardCharsets.UTF_8));
            if (result.session() != null) {
                result.session().close();
            }
            assertThat(result.exitCode()).as("exit status for %s", String.join(" ", cases[i]))
                    .isEqualTo(Launcher.EXIT_USAGE);
            assertThat(caseErr.toString(StandardCharsets.UTF_8)).startsWith("tcpproxy: ").contains(expected[i]);
        }
    }

    @Test
    void aReloadAppliesChangedConnectionLimits(@TempDir Path dir) throws Exception {
        try (EchoServer echo = EchoServer.start("backend-1", new InetSocketAddress("127.0.0.1", 0))) {
            Path config = dir.resolve("proxy.yaml");
            String backends = "backends:\n  - " + Launcher.format(echo.localAddress()) + "\n";
            Files.writeString(config, "listen: 127.0.0.1:0\nmax-connections: 1\n" + backends, StandardCharsets.UTF_8);
            Launcher.Result result = Launcher.start(new String[] {"--config", config.toString(), "--drain-timeout", "1s"},
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            session = result.session();
            assertThat(session).as("session; stderr: %s", err.toString(StandardCharsets.UTF_8)).isNotNull();
            try (Socket first = connect(session.localAddress())) {
                assertThat(converse(first, "one")).endsWith("] one");
                assertThat(ask(session.localAddress(), "two")).as("over max-connections 1").isNull();

                Files.writeString(config, "listen: 127.0.0.1:0\nmax-connections: 0\n" + backends, StandardCharsets.UTF_8);
                BackendReload.Outcome outcome = result.reload().reload();
                assertThat(outcome.failed()).isFalse();
                assertThat(outcome.needRestart()).isEmpty();
                assertThat(ask(session.localAddress(), "three")).endsWith("] three");
            }
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("connection limits applied");
        }
    }

    private Session start(String... args) {
        Launcher.Result result = Launcher.start(args,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(result.session())
                .as("session; exit %d, stderr: %s", result.exitCode(), err.toString(StandardCharsets.UTF_8))
                .isNotNull();
        return result.session();
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.connect(address, 5000);
        socket.setSoTimeout(5000);
        return socket;
    }

    /** Sends one line and reads one line back on an open connection. */
    static String converse(Socket socket, String line) throws IOException {
        socket.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        StringBuilder sb = new StringBuilder();
        for (int c; (c = socket.getInputStream().read()) >= 0 && c != '\n'; ) {
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** One line on a new connection; null if the connection ends before an answer. */
    private static String ask(InetSocketAddress address, String line) throws IOException {
        try (Socket socket = connect(address)) {
            socket.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            return in.readLine();
        } catch (SocketException e) {
            return null;
        }
    }
}
