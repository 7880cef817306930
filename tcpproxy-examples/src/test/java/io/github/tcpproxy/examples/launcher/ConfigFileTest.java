package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.Backend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The config file format and how flags override it; no sockets. */
@Timeout(10)
class ConfigFileTest {

    static final String FULL = """
            # every key
            listen: 127.0.0.1:9191
            strategy: random,seed=7
            connect-timeout: 2s
            connect-attempts: 4
            drain-timeout: PT1S
            threads: 2
            buffer-size: 65536
            backends:
              - 127.0.0.1:8080,weight=2
              - address: 127.0.0.1:8081
                weight: 3
                max-conns: 100
              - {address: "127.0.0.1:8082"}
            """;

    @Test
    void readsEveryKeyAndBothBackendForms() {
        Settings s = ConfigFile.parse(FULL, "proxy.yaml");

        assertThat(s.listen()).isEqualTo("127.0.0.1:9191");
        assertThat(s.strategy()).isEqualTo("random,seed=7");
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.connectAttempts()).isEqualTo(4);
        assertThat(s.drainTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.threads()).isEqualTo(2);
        assertThat(s.bufferSize()).isEqualTo(65536);
        assertThat(s.backends()).containsExactly(
                Backend.of("127.0.0.1", 8080).withWeight(2),
                Backend.of("127.0.0.1", 8081).withWeight(3).withMaxConnections(100),
                Backend.of("127.0.0.1", 8082));
    }

    @Test
    void everyKeyIsOptionalAndAnEmptyFileIsNoSettings() {
        assertThat(ConfigFile.parse("", "empty.yaml")).isEqualTo(Settings.NONE);
        assertThat(ConfigFile.parse("# nothing here\n", "empty.yaml")).isEqualTo(Settings.NONE);
        assertThat(ConfigFile.parse("threads: 1\n", "t.yaml"))
                .isEqualTo(new Settings(null, null, null, null, null, null, 1, null));
    }

    @Test
    void theSettingsItGivesAreAcceptedByTheBuilder() {
        // Checks every value (strategy options included) without starting anything.
        ConfigFile.parse(FULL, "proxy.yaml").newBuilder();
    }

    @Test
    void flagsOverrideTheFileAndBackendFlagsReplaceItsList() {
        Settings file = ConfigFile.parse(FULL, "proxy.yaml");
        LauncherCommand flags = parseFlags("--listen", "127.0.0.1:0", "--threads", "1",
                "--backend", "127.0.0.1:9000", "--backend", "127.0.0.1:9001,weight=5");

        Settings merged = file.overriddenBy(flags.toSettings());

        assertThat(merged.listen()).isEqualTo("127.0.0.1:0");
        assertThat(merged.threads()).isEqualTo(1);
        assertThat(merged.backends()).containsExactly(
                Backend.of("127.0.0.1", 9000), Backend.of("127.0.0.1", 9001).withWeight(5));
        // Not given as flags: the file's values stay.
        assertThat(merged.strategy()).isEqualTo("random,seed=7");
        assertThat(merged.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(merged.connectAttempts()).isEqualTo(4);
        assertThat(merged.drainTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(merged.bufferSize()).isEqualTo(65536);
    }

    @Test
    void withoutBackendFlagsTheFilesBackendsStay() {
        Settings file = ConfigFile.parse(FULL, "proxy.yaml");
        Settings merged = file.overriddenBy(parseFlags("--strategy", "rr").toSettings());

        assertThat(merged.strategy()).isEqualTo("rr");
        assertThat(merged.backends()).isEqualTo(file.backends());
    }

    @Test
    void defaultsApplyWhereNothingWasGiven() {
        Settings none = Settings.NONE.overriddenBy(parseFlags().toSettings());

        assertThat(none.listenOrDefault()).isEqualTo("127.0.0.1:9090");
        assertThat(none.strategyOrDefault()).isEqualTo("round-robin");
        assertThat(none.backendsOrEmpty()).isEmpty();
        assertThat(none.drainTimeoutOrDefault()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void anUnknownKeyIsAnErrorNamingIt() {
        assertThatThrownBy(() -> ConfigFile.parse("listen: 127.0.0.1:1\nbakends: []\n", "proxy.yaml"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("proxy.yaml: unknown key 'bakends'; known: listen, backends, strategy,"
                        + " connect-timeout, connect-attempts, drain-timeout, threads, buffer-size");
    }

    @Test
    void anUnknownBackendKeyIsAnErrorNamingIt() {
        String yaml = "backends:\n  - address: 127.0.0.1:8080\n    wieght: 2\n";
        assertThatThrownBy(() -> ConfigFile.parse(yaml, "proxy.yaml"))
                .hasMessage("proxy.yaml: backends item 1: unknown key 'wieght'; known: address, weight, max-conns");
    }

    @Test
    void aBackendMapNeedsAnAddress() {
        assertThatThrownBy(() -> ConfigFile.parse("backends:\n  - weight: 2\n", "p.yaml"))
                .hasMessage("p.yaml: backends item 1: 'address' is missing; give HOST:PORT");
    }

    @Test
    void aMalformedBackendNamesItsItemAndText() {
        assertThatThrownBy(() -> ConfigFile.parse("backends:\n  - 127.0.0.1:8080\n  - nohost\n", "p.yaml"))
                .hasMessageStartingWith("p.yaml: backends item 2: backend 'nohost'")
                .hasMessageContaining("host:port");
        assertThatThrownBy(() -> ConfigFile.parse("backends:\n  - {address: 127.0.0.1:8080, weight: -1}\n", "p.yaml"))
                .hasMessageStartingWith("p.yaml: backends item 1: ")
                .hasMessageContaining("weight -1 is negative");
    }

    @Test
    void wrongTypesAreNamed() {
        assertThatThrownBy(() -> ConfigFile.parse("threads: two\n", "p.yaml"))
                .hasMessage("p.yaml: threads: expected a whole number up to 2147483647, found 'two'");
        assertThatThrownBy(() -> ConfigFile.parse("listen: 9090\n", "p.yaml"))
                .hasMessage("p.yaml: listen: expected HOST:PORT, found '9090' (a number)");
        assertThatThrownBy(() -> ConfigFile.parse("backends: 127.0.0.1:8080\n", "p.yaml"))
                .hasMessageStartingWith("p.yaml: backends: expected a list of backends");
        assertThatThrownBy(() -> ConfigFile.parse("- listen\n", "p.yaml"))
                .hasMessageStartingWith("p.yaml: expected a map of settings");
    }

    @Test
    void aBadDurationNamesTheKeyAndValue() {
        assertThatThrownBy(() -> ConfigFile.parse("connect-timeout: 2 seconds\n", "p.yaml"))
                .hasMessage("p.yaml: connect-timeout '2 seconds' is not a duration; use e.g. 500ms, 2s, 1m or PT2S");
        assertThatThrownBy(() -> ConfigFile.parse("drain-timeout: 5\n", "p.yaml"))
                .hasMessageContaining("p.yaml: drain-timeout '5' is not a duration (it has no unit)");
        assertThat(ConfigFile.parse("drain-timeout: 0\n", "p.yaml").drainTimeout()).isEqualTo(Duration.ZERO);
    }

    @Test
    void invalidYamlIsOneLineWithItsPosition() {
        assertThatThrownBy(() -> ConfigFile.parse("listen: [127.0.0.1:1\nthreads: 2\n", "p.yaml"))
                .hasMessageStartingWith("p.yaml: line ")
                .hasMessageNotContaining("\n");
    }

    @Test
    void anUnquotedStarExplainsTheFix() {
        assertThatThrownBy(() -> ConfigFile.parse("listen: *:9090\n", "p.yaml"))
                .hasMessageStartingWith("p.yaml: line 1, column ")
                .hasMessageContaining("quote values that start with *")
                .hasMessageNotContaining("\n");
        assertThat(ConfigFile.parse("listen: \"*:9090\"\n", "p.yaml").listen()).isEqualTo("*:9090");
    }

    @Test
    void aDuplicateKeyIsAnError() {
        assertThatThrownBy(() -> ConfigFile.parse("threads: 1\nthreads: 2\n", "p.yaml"))
                .hasMessageStartingWith("p.yaml: line 2")
                .hasMessageContaining("duplicate key threads");
    }

    @Test
    void noArbitraryTypesAreConstructed() {
        assertThatThrownBy(() -> ConfigFile.parse("listen: !!java.io.File [\"/tmp\"]\n", "p.yaml"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("p.yaml: ");
    }

    @Test
    void readsAFileAndNamesAMissingOrUnreadableOne(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, FULL, StandardCharsets.UTF_8);
        assertThat(ConfigFile.read(file).threads()).isEqualTo(2);

        Path missing = dir.resolve("missing.yaml");
        assertThatThrownBy(() -> ConfigFile.read(missing))
                .hasMessage("config file '" + missing + "' does not exist");
        assertThatThrownBy(() -> ConfigFile.read(dir))
                .hasMessageStartingWith("config file '" + dir + "' cannot be read: ");
        Path binary = dir.resolve("binary.yaml");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertThatThrownBy(() -> ConfigFile.read(binary))
                .hasMessage("config file '" + binary + "' is not UTF-8 text");
    }

    private static LauncherCommand parseFlags(String... args) {
        LauncherCommand command = new LauncherCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }
}
