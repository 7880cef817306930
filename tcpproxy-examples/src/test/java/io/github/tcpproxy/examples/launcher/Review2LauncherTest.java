package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.ConnectionSummary.End;
import io.github.tcpproxy.ConnectionSummary.Side;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Review 2: launcher defects, each test fails on the code as reviewed. */
@Timeout(60)
class Review2LauncherTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private EchoServer a;
    private Session session;

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (session != null) {
            session.closeNow();
            session.close();
        }
        if (a != null) {
            a.close();
        }
    }

    /**
     * A reload compares the file with the settings the proxy was started with, never with what
     * an earlier reload applied: putting a connection limit back to its start-up value after a
     * reload changed it is seen as "no change" and the proxy keeps the reloaded limit.
     */
    @Test
    void aReloadThatPutsAConnectionLimitBackAppliesIt() throws Exception {
        a = EchoServer.start("a\n");
        Path file = Files.writeString(dir.resolve("proxy.yaml"),
                "max-connections: 1\nbackends: [" + Launcher.format(a.address()) + "]\n", StandardCharsets.UTF_8);
        Launcher.Result started = start("--config", file.toString(), "--listen", "127.0.0.1:0",
                "--drain-timeout", "1s");

        Files.writeString(file, "max-connections: 2\nbackends: [" + Launcher.format(a.address()) + "]\n",
                StandardCharsets.UTF_8);
        assertThat(started.reload().reload().failed()).isFalse();
        Files.writeString(file, "max-connections: 1\nbackends: [" + Launcher.format(a.address()) + "]\n",
                StandardCharsets.UTF_8);
        assertThat(started.reload().reload().failed()).isFalse();

        try (Socket first = Sockets.connect(session.localAddress());
                Socket second = Sockets.connect(session.localAddress())) {
            assertThat(greeting(first)).isEqualTo("a");
            Object outcome = Sockets.readOutcome(second);
            assertThat(session.proxy().stats().refusedMaxConnections())
                    .as("a second client with max-connections back at 1 in the file (its read gave %s); stdout: %s",
                            outcome, out.toString(StandardCharsets.UTF_8))
                    .isEqualTo(1);
        }
    }

    /** The access log promises ISO-8601 UTC "with milliseconds"; Instant.toString drops ".000". */
    @Test
    void accessLogTimeHasMillisecondsAlsoOnAWholeSecond() {
        ConnectionSummary s = new ConnectionSummary(17, new InetSocketAddress("127.0.0.1", 50312),
                new InetSocketAddress("127.0.0.1", 8080), 120, 4500, Duration.ofMillis(35), End.COMPLETED,
                Side.CLIENT);
        assertThat(AccessLog.format(Instant.parse("2026-11-26T01:02:03Z"), s))
                .isEqualTo("2026-11-26T01:02:03.000Z 17 127.0.0.1:50312 127.0.0.1:8080 completed client 120 4500 35");
    }

    /**
     * The config file documents "access-log: access.log   # or - for standard output", but the
     * unquoted "-" the comment suggests is not read as standard output.
     */
    @Test
    void configFileAccessLogDashMeansStandardOutput() {
        Settings settings = ConfigFile.parse("access-log: -\nbackends: [127.0.0.1:9]\n", "p.yaml");
        assertThat(settings.hardening().accessLog()).isEqualTo("-");
    }

    // ---- helpers ----

    private Launcher.Result start(String... args) {
        Launcher.Result result = Launcher.start(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(result.session()).as("session; exit %d, stderr: %s", result.exitCode(),
                err.toString(StandardCharsets.UTF_8)).isNotNull();
        session = result.session();
        return result;
    }

    private static String greeting(Socket client) throws IOException {
        return new String(Payloads.readFully(client.getInputStream(), 2), StandardCharsets.US_ASCII).trim();
    }
}
