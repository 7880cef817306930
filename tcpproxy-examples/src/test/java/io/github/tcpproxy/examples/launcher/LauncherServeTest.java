package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Sockets;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher serving real clients over loopback, started in-process through
 * {@link Launcher#start} and stopped by closing the session, as the shutdown hook does.
 */
@Timeout(30)
class LauncherServeTest {
    private static final Pattern ANSWER = Pattern.compile("\\[(backend-\\d) 127\\.0\\.0\\.1:(\\d+)] (.*)");

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private Session session;

    @AfterEach
    void stop() {
        if (session != null) {
            session.close();
        }
    }

    @Test
    void theDemoServesAClientThroughTheProxyAndTheAnswerNamesABackend() throws Exception {
        session = start("--demo", "--listen", "127.0.0.1:0", "--drain-timeout", "1s");
        InetSocketAddress proxy = session.localAddress();

        assertThat(proxy.getPort()).isPositive();
        assertThat(session.demoBackends()).hasSize(3);
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("nc 127.0.0.1 " + proxy.getPort(), "proxy      127.0.0.1:" + proxy.getPort(),
                "line by line");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();

        Matcher answer = ANSWER.matcher(ask(proxy, "hello"));
        assertThat(answer.matches()).isTrue();
        assertThat(answer.group(3)).isEqualTo("hello");
        int backendPort = Integer.parseInt(answer.group(2));
        assertThat(session.demoBackends()).anySatisfy(b -> {
            assertThat(b.name()).isEqualTo(answer.group(1));
            assertThat(b.localAddress().getPort()).isEqualTo(backendPort);
        });
    }

    @Test
    void roundRobinSpreadsTheDemoClientsOverTheThreeBackends() throws Exception {
        session = start("--demo", "--listen", "127.0.0.1:0", "--drain-timeout", "1s", "--strategy", "rr");

        Set<String> answeredBy = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            Matcher answer = ANSWER.matcher(ask(session.localAddress(), "client " + i));
            assertThat(answer.matches()).isTrue();
            answeredBy.add(answer.group(1));
        }

        assertThat(answeredBy).containsExactlyInAnyOrder("backend-1", "backend-2", "backend-3");
    }

    @Test
    void closingTheSessionStopsTheProxyAndTheBackends() throws Exception {
        session = start("--demo", "--listen", "127.0.0.1:0", "--drain-timeout", "1s");
        InetSocketAddress proxy = session.localAddress();
        InetSocketAddress backend = session.demoBackends().get(0).localAddress();
        ask(proxy, "before");

        session.close();

        assertThat(session.awaitClosed(Duration.ofSeconds(5))).isTrue();
        assertThat(session.proxy().isRunning()).isFalse();
        assertThatThrownBy(() -> ask(proxy, "after")).isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> ask(backend, "after")).isInstanceOf(ConnectException.class);
    }

    @Test
    void proxyModeFromAConfigFileWithFlagsOverridingIt(@TempDir Path dir) throws Exception {
        try (EchoServer echo = EchoServer.start("backend-9", new InetSocketAddress("127.0.0.1", 0))) {
            // The file listens on a fixed port and lists a dead backend; the flags replace both.
            Path config = Files.writeString(dir.resolve("proxy.yaml"), """
                    listen: 127.0.0.1:1
                    strategy: round-robin
                    connect-timeout: 2s
                    drain-timeout: 1s
                    threads: 1
                    backends:
                      - 127.0.0.1:9
                    """, StandardCharsets.UTF_8);
            String backend = Launcher.format(echo.localAddress()) + ",weight=2";

            session = start("--config", config.toString(), "--listen", "127.0.0.1:0", "--backend", backend);

            assertThat(ask(session.localAddress(), "via config"))
                    .isEqualTo("[backend-9 " + Launcher.format(echo.localAddress()) + "] via config");
            assertThat(out.toString(StandardCharsets.UTF_8))
                    .contains("listening on " + Launcher.format(session.localAddress()), backend);
            session.close();
        }
    }

    @Test
    void sizesWithUnitsFromTheFileAndFlagsStartAProxyThatServes(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("proxy.yaml"), """
                buffer-size: 128k
                send-buffer-size: 64 KiB
                drain-timeout: 1s
                """, StandardCharsets.UTF_8);

        session = start("--demo", "--config", config.toString(), "--listen", "127.0.0.1:0",
                "--receive-buffer-size", "64k", "--max-buffer-memory", "64m");

        assertThat(ask(session.localAddress(), "sized")).endsWith("] sized");
    }

    @Test
    void activeHealthCheckAndMaxConnsFlagsReachTheProxy() throws Exception {
        try (EchoServer echo = EchoServer.start("backend-1", new InetSocketAddress("127.0.0.1", 0))) {
            String dead = "127.0.0.1:" + Sockets.closedPort();
            session = start("--listen", "127.0.0.1:0", "--drain-timeout", "1s",
                    "--backend", Launcher.format(echo.localAddress()) + ",max-conns=2", "--backend", dead,
                    "--health-check", "interval=100ms,timeout=1s,rise=1,fall=2");

            // Marked down by the checks alone: no client has been sent anywhere.
            Await.until("the dead backend marked down", Duration.ofSeconds(10),
                    () -> !session.proxy().backends().get(1).up());
            BackendStatus live = session.proxy().backends().get(0);
            assertThat(live.up()).isTrue();
            assertThat(live.backend().maxConnections()).isEqualTo(2);
            assertThat(session.proxy().backends().get(1).totalConnections()).isZero();
            assertThat(ask(session.localAddress(), "checked")).endsWith("] checked");
        }
    }

    @Test
    void passiveHealthFlagsMarkABackendDownAfterMaxFails() throws Exception {
        try (EchoServer echo = EchoServer.start("backend-1", new InetSocketAddress("127.0.0.1", 0))) {
            String dead = "127.0.0.1:" + Sockets.closedPort();
            session = start("--listen", "127.0.0.1:0", "--drain-timeout", "1s", "--strategy", "round-robin",
                    "--backend", dead, "--backend", Launcher.format(echo.localAddress()),
                    "--max-fails", "1", "--fail-timeout", "1m", "--slow-start", "10s");

            // The first client is sent to the dead backend first, then retried on the live one.
            assertThat(ask(session.localAddress(), "retried")).endsWith("] retried");

            BackendStatus down = session.proxy().backends().get(0);
            assertThat(down.connectFailures()).isEqualTo(1);
            assertThat(down.up()).as("down after --max-fails 1").isFalse();
            for (int i = 0; i < 3; i++) {
                assertThat(ask(session.localAddress(), "client " + i)).endsWith("] client " + i);
            }
            assertThat(session.proxy().backends().get(0).connectFailures()).as("not tried while down").isEqualTo(1);
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

    /** Sends one line on a new connection and returns the one line that comes back. */
    private static String ask(InetSocketAddress address, String line) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 5000);
            // A lost answer fails the test instead of hanging it.
            socket.setSoTimeout(5000);
            socket.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            return in.readLine();
        }
    }
}
