package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The launcher's one-shot answers: help, version, strategy list, and every kind of bad input,
 * each one line on stderr and its exit status. Runs in-process through {@link Launcher#run}.
 */
@Timeout(30)
class LauncherTest {
    /** A backend that is never connected to: these runs fail before any client arrives. */
    private static final String UNUSED_BACKEND = "127.0.0.1:9";

    @Test
    void helpExitsZeroAndListsTheOptions() {
        Run run = Run.of("--help");

        assertThat(run.status).isZero();
        assertThat(run.err).isEmpty();
        assertThat(run.out).contains("Usage: tcpproxy", "--listen", "--backend", "--strategy",
                "--connect-timeout", "--connect-attempts", "--drain-timeout", "--threads",
                "--buffer-size", "--config", "--demo", "--verbose", "--version", "--list-strategies",
                "--health-check", "--max-fails", "--fail-timeout", "--slow-start", "SIGHUP",
                "--buffer-size=SIZE", "--send-buffer-size=SIZE", "--receive-buffer-size=SIZE",
                "--max-buffer-memory=SIZE", "Sizes: bytes such as 262144, or with a unit k, m or g");
        // The --config help names every key the file takes.
        String help = run.out.replaceAll("\\s+", " ");
        for (String key : ConfigFile.KEYS) {
            assertThat(help).as("help names config key %s", key).contains(" " + key);
        }
    }

    @Test
    void versionExitsZeroAndPrintsTheProjectVersion() {
        Run run = Run.of("--version");

        assertThat(run.status).isZero();
        assertThat(run.out.trim()).isEqualTo("tcpproxy 0.1.0-SNAPSHOT");
        assertThat(run.err).isEmpty();
    }

    @Test
    void listStrategiesShowsNamesAliasesAndDescriptions() {
        Run run = Run.of("--list-strategies");

        assertThat(run.status).isZero();
        assertThat(run.out).contains("round-robin (alias rr): ", "random");
    }

    @Test
    void verboseTurnsOnDebugForTcpproxyLoggers() {
        String before = System.getProperty(Launcher.LOG_LEVEL_PROPERTY);
        try {
            Run run = Run.of("--verbose", "--list-strategies");

            assertThat(run.status).isZero();
            assertThat(System.getProperty(Launcher.LOG_LEVEL_PROPERTY)).isEqualTo("debug");
        } finally {
            if (before == null) {
                System.clearProperty(Launcher.LOG_LEVEL_PROPERTY);
            } else {
                System.setProperty(Launcher.LOG_LEVEL_PROPERTY, before);
            }
        }
    }

    static Stream<Arguments> badInput() {
        return Stream.of(
                // The known list grows with every strategy registered: check its frame and two names.
                bad(List.of("--strategy", "foo", "--backend", UNUSED_BACKEND),
                        "tcpproxy: --strategy: unknown strategy 'foo'; known: ", "round-robin", "random"),
                bad(List.of("--strategy", "round-robin,weight=2", "--backend", UNUSED_BACKEND),
                        "'weight'"),
                bad(List.of("--backend", "localhost"),
                        "--backend", "'localhost'", "host:port"),
                bad(List.of("--backend", "127.0.0.1:70000"),
                        "--backend", "70000", "out of range"),
                bad(List.of("--backend", "127.0.0.1:8080,wieght=2"),
                        "--backend", "unknown option 'wieght=2'"),
                bad(List.of("--listen", "nowhere", "--backend", UNUSED_BACKEND),
                        "tcpproxy: --listen: listen address 'nowhere' is not of the form host:port"),
                bad(List.of("--listen", "127.0.0.1:x", "--backend", UNUSED_BACKEND),
                        "listen address '127.0.0.1:x'", "'x'"),
                bad(List.of(),
                        "tcpproxy: no backends: give at least one --backend HOST:PORT"),
                bad(List.of("--listen", "127.0.0.1:0"),
                        "no backends"),
                bad(List.of("--connect-timeout", "2x", "--backend", UNUSED_BACKEND),
                        "--connect-timeout", "'2x' is not a duration"),
                bad(List.of("--drain-timeout", "10", "--backend", UNUSED_BACKEND),
                        "--drain-timeout", "'10' is not a duration (it has no unit)"),
                bad(List.of("--connect-timeout", "0", "--backend", UNUSED_BACKEND),
                        "tcpproxy: --connect-timeout: connect timeout 0 must be positive"),
                bad(List.of("--connect-attempts", "0", "--backend", UNUSED_BACKEND),
                        "connect attempts 0 must be 1 or more"),
                bad(List.of("--threads", "0", "--backend", UNUSED_BACKEND),
                        "reactor threads 0 is out of range 1-1024"),
                bad(List.of("--threads", "many", "--backend", UNUSED_BACKEND),
                        "--threads", "'many'"),
                bad(List.of("--buffer-size", "10", "--backend", UNUSED_BACKEND),
                        "buffer size 10 is out of range"),
                bad(List.of("--buffer-size", "32m", "--backend", UNUSED_BACKEND),
                        "buffer size 33554432 is out of range 1024-16777216"),
                bad(List.of("--buffer-size", "12q", "--backend", UNUSED_BACKEND),
                        "--buffer-size", "expected a size such as 262144, 256k or 1m, found '12q'"),
                bad(List.of("--buffer-size", "3g", "--backend", UNUSED_BACKEND),
                        "--buffer-size", "size '3g' is too large; at most 2147483647 bytes"),
                bad(List.of("--max-buffer-memory", "-1k", "--backend", UNUSED_BACKEND),
                        "--max-buffer-memory", "size '-1k' is negative"),
                // Both sizes reach the builder in bytes: its start-time check prints them.
                bad(List.of("--buffer-size", "128k", "--max-buffer-memory", "64K", "--backend", UNUSED_BACKEND),
                        "tcpproxy: max buffer memory 65536 is less than one buffer (buffer size 131072)"),
                bad(List.of("--frobnicate"),
                        "Unknown option: '--frobnicate'"),
                bad(List.of("--listen"),
                        "--listen"),
                bad(List.of("stray"),
                        "'stray'"),
                bad(List.of("--demo", "--backend", UNUSED_BACKEND),
                        "--demo starts its own backends"),
                bad(List.of("--demo", "--strategy", "nope", "--listen", "127.0.0.1:0"),
                        "unknown strategy 'nope'"),
                bad(List.of("--backend", "127.0.0.1:8080,max-conns=-1"),
                        "max-conns -1 is negative"),
                bad(List.of("--backend", "127.0.0.1:8080,max-conns=lots"),
                        "--backend", "max-conns 'lots' is not a whole number"),
                bad(List.of("--health-check", "interval=0s", "--backend", UNUSED_BACKEND),
                        "--health-check", "health check interval 0 must be positive"),
                bad(List.of("--health-check", "rise=0", "--backend", UNUSED_BACKEND),
                        "--health-check", "health check rise 0 must be 1 or more"),
                bad(List.of("--health-check", "fall=x", "--backend", UNUSED_BACKEND),
                        "--health-check", "fall 'x' is not a whole number"),
                bad(List.of("--health-check", "timeout=2", "--backend", UNUSED_BACKEND),
                        "--health-check", "timeout '2' is not a duration (it has no unit)"),
                bad(List.of("--health-check", "every=1s", "--backend", UNUSED_BACKEND),
                        "--health-check", "unknown key 'every'; known: interval, timeout, rise, fall"),
                bad(List.of("--health-check", "interval", "--backend", UNUSED_BACKEND),
                        "--health-check", "'interval'", "key=value"),
                bad(List.of("--max-fails", "-1", "--backend", UNUSED_BACKEND),
                        "max fails -1 must be 0 (off) or more"),
                bad(List.of("--max-fails", "some", "--backend", UNUSED_BACKEND),
                        "--max-fails", "'some'"),
                bad(List.of("--max-fails", "2", "--fail-timeout", "0", "--backend", UNUSED_BACKEND),
                        "fail timeout 0 must be positive"),
                bad(List.of("--max-fails", "2", "--fail-timeout", "10", "--backend", UNUSED_BACKEND),
                        "--fail-timeout", "'10' is not a duration (it has no unit)"),
                bad(List.of("--fail-timeout", "5s", "--backend", UNUSED_BACKEND),
                        "fail timeout 5s is given without max fails"),
                bad(List.of("--fail-timeout", "PT9999999999999H", "--backend", UNUSED_BACKEND),
                        "fail timeout PT9999999999999H is given without max fails"),
                bad(List.of("--slow-start", "soon", "--backend", UNUSED_BACKEND),
                        "--slow-start", "'soon' is not a duration"),
                bad(List.of("--config", "/nonexistent/tcpproxy.yaml"),
                        "tcpproxy: config file '/nonexistent/tcpproxy.yaml' does not exist"));
    }

    private static Arguments bad(List<String> args, String... expected) {
        return Arguments.of(args, List.of(expected));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInput")
    void badInputIsOneLineAndExitStatusTwo(List<String> args, List<String> expected) {
        Run run = Run.of(args.toArray(String[]::new));

        assertThat(run.status).as("exit status").isEqualTo(Launcher.EXIT_USAGE);
        run.assertOneErrorLine(expected.toArray(String[]::new));
        assertThat(run.out).isEmpty();
    }

    @Test
    void anInvalidConfigFileIsOneLineNamingFileAndProblem(@TempDir Path dir) throws Exception {
        Path unknownKey = write(dir, "unknown.yaml", "listen: 127.0.0.1:0\nbackend: 127.0.0.1:8080\n");
        Run run = Run.of("--config", unknownKey.toString());
        assertThat(run.status).isEqualTo(Launcher.EXIT_USAGE);
        run.assertOneErrorLine(unknownKey + ": unknown key 'backend'; known: listen, backends");

        Path notYaml = write(dir, "broken.yaml", "listen: [127.0.0.1:0\n  threads: {\n");
        run = Run.of("--config", notYaml.toString());
        assertThat(run.status).isEqualTo(Launcher.EXIT_USAGE);
        run.assertOneErrorLine(notYaml + ": line ");

        Path badValue = write(dir, "bad-value.yaml", "backends: [127.0.0.1:8080]\nconnect-timeout: soon\n");
        run = Run.of("--config", badValue.toString());
        assertThat(run.status).isEqualTo(Launcher.EXIT_USAGE);
        run.assertOneErrorLine("connect-timeout 'soon' is not a duration");

        Path badStrategy = write(dir, "bad-strategy.yaml", "backends: [127.0.0.1:8080]\nstrategy: fastest\n");
        run = Run.of("--config", badStrategy.toString());
        assertThat(run.status).isEqualTo(Launcher.EXIT_USAGE);
        run.assertOneErrorLine("tcpproxy: " + badStrategy + ": strategy: unknown strategy 'fastest'; known: ");

        // A value the builder rejects is named with its file and key too, not only parse errors.
        Path badThreads = write(dir, "bad-threads.yaml", "backends: [127.0.0.1:8080]\nthreads: -1\n");
        run = Run.of("--config", badThreads.toString());
        assertThat(run.status).isEqualTo(Launcher.EXIT_USAGE);
        run.assertOneErrorLine("tcpproxy: " + badThreads + ": threads: reactor threads -1 is out of range 1-1024");

        // Also when the value it goes with comes from a flag.
        Path failTimeout = write(dir, "fail-timeout.yaml", "backends: [127.0.0.1:8080]\nfail-timeout: 0\n");
        run = Run.of("--config", failTimeout.toString(), "--max-fails", "2");
        assertThat(run.status).isEqualTo(Launcher.EXIT_USAGE);
        run.assertOneErrorLine("tcpproxy: " + failTimeout + ": fail-timeout: fail timeout 0 must be positive");

        Path badCheck = write(dir, "bad-check.yaml", "backends: [127.0.0.1:8080]\nhealth-check: {fall: 0}\n");
        run = Run.of("--config", badCheck.toString());
        assertThat(run.status).isEqualTo(Launcher.EXIT_USAGE);
        run.assertOneErrorLine(badCheck + ": health-check: health check fall 0 must be 1 or more");

        Path sizes = write(dir, "sizes.yaml", "backends: [127.0.0.1:9]\nbuffer-size: 128k\nmax-buffer-memory: 64kb\n");
        run = Run.of("--config", sizes.toString());
        assertThat(run.status).isEqualTo(Launcher.EXIT_USAGE);
        run.assertOneErrorLine("tcpproxy: max buffer memory 65536 is less than one buffer (buffer size 131072)");

        Path badSize = write(dir, "bad-size.yaml", "backends: [127.0.0.1:9]\nbuffer-size: 12q\n");
        run = Run.of("--config", badSize.toString());
        assertThat(run.status).isEqualTo(Launcher.EXIT_USAGE);
        run.assertOneErrorLine(badSize + ": buffer-size: expected a size such as 262144, 256k or 1m, found '12q'");

        run = Run.of("--config", dir.toString());
        assertThat(run.status).isEqualTo(Launcher.EXIT_USAGE);
        run.assertOneErrorLine("config file '" + dir + "' cannot be read");
    }

    @Test
    void aListenAddressInUseExitsOneNamingTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String address = "127.0.0.1:" + taken.getLocalPort();

            Run run = Run.of("--listen", address, "--backend", UNUSED_BACKEND);

            assertThat(run.status).isEqualTo(Launcher.EXIT_FAILURE);
            run.assertOneErrorLine("tcpproxy: ", address);
        }
    }

    @Test
    void theDemoWithItsListenAddressInUseExitsOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String address = "127.0.0.1:" + taken.getLocalPort();

            Run run = Run.of("--demo", "--listen", address);

            assertThat(run.status).isEqualTo(Launcher.EXIT_FAILURE);
            run.assertOneErrorLine(address);
        }
    }

    private static Path write(Path dir, String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    /** One in-process run of the launcher with its output captured. */
    static final class Run {
        final int status;
        final String out;
        final String err;

        private Run(int status, String out, String err) {
            this.status = status;
            this.out = out;
            this.err = err;
        }

        static Run of(String... args) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status;
            try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                status = Launcher.run(args, o, e);
            }
            return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }

        void assertOneErrorLine(String... fragments) {
            assertThat(err.lines()).as("stderr lines").hasSize(1);
            assertThat(err).as("stderr").startsWith("tcpproxy: ").contains(fragments)
                    .doesNotContain("Exception", "\tat ");
        }
    }
}
