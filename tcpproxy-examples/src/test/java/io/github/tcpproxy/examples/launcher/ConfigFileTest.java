package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.HealthCheck;
import io.github.tcpproxy.ProxyProtocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
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
            health-check:
              interval: 1s
              timeout: 500ms
              rise: 3
              fall: 4
            max-fails: 2
            fail-timeout: 30s
            slow-start: 1m
            max-connections: 1000
            max-connections-per-client: 10
            max-connection-rate-per-client: 5
            idle-timeout: 5m
            half-closed-timeout: 30s
            accept-backlog: 512
            tcp-nodelay: false
            keepalive: false
            send-buffer-size: 131072
            receive-buffer-size: 262144
            allow: [10.0.0.0/8, "2001:db8::/32"]
            deny: 10.6.6.0/24, 10.7.0.0/16
            access-log: access.log
            send-proxy-protocol: v2
            accept-proxy-protocol: true
            proxy-protocol-timeout: 1s
            max-buffer-memory: 3221225472
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
        assertThat(s.healthCheck()).contains(new HealthCheck(Duration.ofSeconds(1), Duration.ofMillis(500), 3, 4));
        assertThat(s.maxFails()).isEqualTo(2);
        assertThat(s.failTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.slowStart()).isEqualTo(Duration.ofMinutes(1));
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
                .isEqualTo(new Settings(null, null, null, null, null, null, 1, null, null, null, null, null, null));
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
        assertThat(merged.healthCheck()).isEqualTo(file.healthCheck());
        assertThat(merged.maxFails()).isEqualTo(2);
        assertThat(merged.failTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(merged.slowStart()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void healthAndSlowStartFlagsOverrideTheFile() {
        Settings file = ConfigFile.parse(FULL, "proxy.yaml");

        Settings merged = file.overriddenBy(parseFlags("--health-check", "fall=5", "--max-fails", "7",
                "--fail-timeout", "3s", "--slow-start", "0").toSettings());

        assertThat(merged.healthCheck()).contains(HealthCheck.tcp().withFall(5));
        assertThat(merged.maxFails()).isEqualTo(7);
        assertThat(merged.failTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(merged.slowStart()).isEqualTo(Duration.ZERO);
        // "off" is a value of its own: it overrides the file's checks instead of keeping them.
        assertThat(file.overriddenBy(parseFlags("--health-check", "off").toSettings()).healthCheck()).isEmpty();
        assertThat(file.overriddenBy(parseFlags("--threads", "1").toSettings()).healthCheck())
                .isEqualTo(file.healthCheck());
    }

    @Test
    void healthCheckFlagAloneMeansTheDefaultsAndTakesAnySubsetOfKeys() {
        assertThat(parseFlags("--health-check").toSettings().healthCheck()).contains(HealthCheck.tcp());
        assertThat(parseFlags("--health-check", "--threads", "1").toSettings().healthCheck())
                .contains(HealthCheck.tcp());
        assertThat(parseFlags("--health-check=interval=250ms,rise=1").toSettings().healthCheck())
                .contains(HealthCheck.tcp().withInterval(Duration.ofMillis(250)).withRise(1));
        assertThat(parseFlags("--health-check", "interval=1s,timeout=2s,rise=3,fall=4").toSettings().healthCheck())
                .contains(new HealthCheck(Duration.ofSeconds(1), Duration.ofSeconds(2), 3, 4));
        assertThat(parseFlags().toSettings().healthCheck()).as("not given").isNull();
    }

    @Test
    void healthCheckInTheFileIsTrueFalseAMapOrTheFlagText() {
        assertThat(ConfigFile.parse("health-check: true\n", "p.yaml").healthCheck()).contains(HealthCheck.tcp());
        assertThat(ConfigFile.parse("health-check: false\n", "p.yaml").healthCheck()).isEqualTo(Optional.empty());
        assertThat(ConfigFile.parse("health-check: {fall: 1}\n", "p.yaml").healthCheck())
                .contains(HealthCheck.tcp().withFall(1));
        assertThat(ConfigFile.parse("health-check: interval=3s,timeout=1s\n", "p.yaml").healthCheck())
                .contains(HealthCheck.tcp().withInterval(Duration.ofSeconds(3)).withTimeout(Duration.ofSeconds(1)));
    }

    @Test
    void badHealthCheckValuesNameTheKey() {
        assertThatThrownBy(() -> ConfigFile.parse("health-check: {rise: 0}\n", "p.yaml"))
                .hasMessage("p.yaml: health-check: health check rise 0 must be 1 or more");
        assertThatThrownBy(() -> ConfigFile.parse("health-check: {interval: soon}\n", "p.yaml"))
                .hasMessageStartingWith("p.yaml: health-check: interval 'soon' is not a duration");
        assertThatThrownBy(() -> ConfigFile.parse("health-check: {interval: 0}\n", "p.yaml"))
                .hasMessage("p.yaml: health-check: health check interval 0 must be positive");
        assertThatThrownBy(() -> ConfigFile.parse("health-check: {every: 1s}\n", "p.yaml"))
                .hasMessage("p.yaml: health-check: unknown key 'every'; known: interval, timeout, rise, fall");
        assertThatThrownBy(() -> ConfigFile.parse("health-check: {fall: [1]}\n", "p.yaml"))
                .hasMessage("p.yaml: health-check: fall: expected a whole number, found '[1]'");
        assertThatThrownBy(() -> ConfigFile.parse("health-check: 5\n", "p.yaml"))
                .hasMessageStartingWith("p.yaml: health-check: expected true, false or a map with keys interval,"
                        + " timeout, rise, fall, found '5'");
        assertThatThrownBy(() -> ConfigFile.parse("health-check: fall\n", "p.yaml"))
                .hasMessageStartingWith("p.yaml: health-check: 'fall' in 'fall' is not of the form key=value");
        assertThatThrownBy(() -> ConfigFile.parse("max-fails: some\n", "p.yaml"))
                .hasMessage("p.yaml: max-fails: expected a whole number up to 2147483647, found 'some'");
        assertThatThrownBy(() -> ConfigFile.parse("slow-start: 30\n", "p.yaml"))
                .hasMessageContaining("p.yaml: slow-start '30' is not a duration (it has no unit)");
    }

    /** The file's settings as the launcher takes them: checked, each value named by file and key. */
    private static Settings checked(String yaml) {
        return Settings.merge(ConfigFile.parse(yaml, "p.yaml"), "p.yaml", Settings.NONE);
    }

    @Test
    void aFileValueAFlagReplacesIsNotChecked() {
        // Found by a review: checked before the merge, these were rejected although the flag wins.
        assertThat(Settings.merge(ConfigFile.parse("threads: 0\n", "p.yaml"), "p.yaml",
                parseFlags("--threads", "2").toSettings()).threads()).isEqualTo(2);
        assertThat(Settings.merge(ConfigFile.parse("listen: no-such-host.invalid:9090\n", "p.yaml"), "p.yaml",
                parseFlags("--listen", "127.0.0.1:0").toSettings()).listen()).isEqualTo("127.0.0.1:0");
        // The value that counts is named by where it came from.
        assertThatThrownBy(() -> Settings.merge(ConfigFile.parse("threads: 2\n", "p.yaml"), "p.yaml",
                parseFlags("--threads", "0").toSettings()))
                .hasMessage("--threads: reactor threads 0 is out of range 1-1024");
        assertThatThrownBy(() -> Settings.merge(ConfigFile.parse("threads: 0\n", "p.yaml"), "p.yaml",
                parseFlags("--buffer-size", "64k").toSettings()))
                .hasMessage("p.yaml: threads: reactor threads 0 is out of range 1-1024");
    }

    @Test
    void theBuilderChecksTheHealthValues() {
        assertThatThrownBy(() -> checked("max-fails: -1\n"))
                .hasMessage("p.yaml: max-fails: max fails -1 must be 0 (off) or more");
        assertThatThrownBy(() -> checked("max-fails: 1\nfail-timeout: 0\n"))
                .hasMessage("p.yaml: fail-timeout: fail timeout 0 must be positive");
        assertThatThrownBy(() -> ConfigFile.parse("fail-timeout: 5s\n", "p.yaml").newBuilder())
                .hasMessageStartingWith("fail timeout 5s is given without max fails");
        // A file is checked alone value by value only: its fail timeout may go with a flag's max fails.
        ConfigFile.parse("fail-timeout: 5s\n", "p.yaml").overriddenBy(parseFlags("--max-fails", "2").toSettings())
                .newBuilder();
        // max-fails alone takes the builder's default fail timeout; 0 turns passive checks off.
        ConfigFile.parse("max-fails: 3\n", "p.yaml").newBuilder();
        ConfigFile.parse("max-fails: 0\nfail-timeout: 5s\n", "p.yaml").newBuilder();
    }

    @Test
    void maxConnsOfABackendComesFromTheFlagAndBothFileForms() {
        assertThat(parseFlags("--backend", "127.0.0.1:9001,max-conns=7,weight=2").toSettings().backends())
                .containsExactly(Backend.of("127.0.0.1", 9001).withWeight(2).withMaxConnections(7));
        assertThat(ConfigFile.parse("backends: ['127.0.0.1:9001,max-conns=7']\n", "p.yaml").backends())
                .containsExactly(Backend.of("127.0.0.1", 9001).withMaxConnections(7));
        assertThat(ConfigFile.parse(FULL, "p.yaml").backends().get(1).maxConnections()).isEqualTo(100);
    }

    @Test
    void changedKeysNameEverySettingButTheBackends() {
        Settings file = ConfigFile.parse(FULL, "proxy.yaml");

        assertThat(file.changedKeysExceptBackends(file.withBackends(List.of()))).isEmpty();
        assertThat(file.changedKeysExceptBackends(Settings.NONE)).containsExactlyElementsOf(
                ConfigFile.KEYS.stream().filter(k -> !k.equals("backends")).toList());
        assertThat(file.changedKeysExceptBackends(file.overriddenBy(
                parseFlags("--strategy", "rr", "--slow-start", "2s").toSettings())))
                .containsExactly("strategy", "slow-start");
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
                        + " connect-timeout, connect-attempts, drain-timeout, threads, buffer-size, health-check,"
                        + " max-fails, fail-timeout, slow-start, max-connections, max-connections-per-client,"
                        + " max-connection-rate-per-client, idle-timeout, half-closed-timeout, accept-backlog,"
                        + " tcp-nodelay, keepalive, send-buffer-size, receive-buffer-size, allow, deny, access-log,"
                        + " send-proxy-protocol, accept-proxy-protocol, proxy-protocol-timeout, max-buffer-memory");
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
    void anUnquotedIpv6AddressExplainsTheFix() {
        // YAML reads "[::1]:9" as a list that does not parse; the message said only that.
        for (String yaml : new String[] {"backends:\n  - [::1]:9\n", "listen: [::1]:9090\nbackends: [127.0.0.1:9]\n"}) {
            assertThatThrownBy(() -> ConfigFile.parse(yaml, "p.yaml"))
                    .hasMessageStartingWith("p.yaml: line ")
                    .hasMessageContaining("quote an IPv6 address in brackets, e.g. - \"[::1]:8080\"")
                    .hasMessageNotContaining("\n");
        }
        assertThat(ConfigFile.parse("backends:\n  - \"[::1]:9\"\n", "p.yaml").backends()).hasSize(1);
    }

    @Test
    void anUnquotedDashExplainsTheFixAndAQuotedOneIsStandardOutput() {
        // YAML reads a bare '-' after a key as a list item, which SnakeYAML reports obscurely.
        assertThatThrownBy(() -> ConfigFile.parse("access-log: -\nbackends: [127.0.0.1:9]\n", "p.yaml"))
                .hasMessageStartingWith("p.yaml: line 1, column 13: sequence entries are not allowed here")
                .hasMessageContaining("quote a lone -, e.g. access-log: \"-\"")
                .hasMessageNotContaining("\n");
        Settings settings = ConfigFile.parse("access-log: \"-\"\nbackends: [127.0.0.1:9]\n", "p.yaml");
        assertThat(settings.hardening().accessLog()).isEqualTo("-");
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

    @Test
    void readsLimitsTimeoutsTcpOptionsAndAccessLists() {
        Hardening h = ConfigFile.parse(FULL, "proxy.yaml").hardening();

        assertThat(h).isEqualTo(new Hardening(1000, 10, 5, Duration.ofMinutes(5), Duration.ofSeconds(30), 512,
                false, false, 131072, 262144, List.of("10.0.0.0/8", "2001:db8::/32"),
                List.of("10.6.6.0/24", "10.7.0.0/16"), "access.log", ProxyProtocol.V2, true, Duration.ofSeconds(1),
                3L << 30));
        ConfigFile.parse(FULL, "proxy.yaml").newBuilder(); // every value is valid for the builder
    }

    @Test
    void flagsOverrideTheFilesLimitsOneByOne() {
        Settings merged = ConfigFile.parse(FULL, "proxy.yaml").overriddenBy(parseFlags("--max-connections", "5",
                "--tcp-nodelay", "true", "--deny", "192.0.2.0/24,198.51.100.7", "--idle-timeout", "0").toSettings());

        assertThat(merged.hardening().maxConnections()).isEqualTo(5);
        assertThat(merged.hardening().maxConnectionsPerClient()).isEqualTo(10);
        assertThat(merged.hardening().tcpNoDelay()).isTrue();
        assertThat(merged.hardening().keepAlive()).isFalse();
        assertThat(merged.hardening().idleTimeout()).isEqualTo(Duration.ZERO);
        assertThat(merged.hardening().deny()).containsExactly("192.0.2.0/24", "198.51.100.7");
        assertThat(merged.hardening().allow()).containsExactly("10.0.0.0/8", "2001:db8::/32");
        assertThat(merged.hardening().maxBufferMemory()).isEqualTo(3L << 30);
        assertThat(parseFlags("--max-buffer-memory", "67108864").toSettings().hardening().maxBufferMemory())
                .isEqualTo(64L << 20);
    }

    @Test
    void sizesInTheFileTakeAUnitOrPlainBytes() {
        Settings s = ConfigFile.parse("""
                buffer-size: 128k
                send-buffer-size: 1M
                receive-buffer-size: 512 KiB
                max-buffer-memory: 3g
                """, "p.yaml");

        assertThat(s.bufferSize()).isEqualTo(128 * 1024);
        assertThat(s.hardening().sendBufferSize()).isEqualTo(1024 * 1024);
        assertThat(s.hardening().receiveBufferSize()).isEqualTo(512 * 1024);
        assertThat(s.hardening().maxBufferMemory()).isEqualTo(3L << 30);
        s.newBuilder(); // every value is valid for the builder
        // Plain numbers, as YAML reads them (Integer, Long), keep working; so does a quoted one.
        assertThat(ConfigFile.parse("buffer-size: 262144\n", "p.yaml").bufferSize()).isEqualTo(262144);
        assertThat(ConfigFile.parse("buffer-size: '262144'\n", "p.yaml").bufferSize()).isEqualTo(262144);
        assertThat(ConfigFile.parse("max-buffer-memory: 3221225472\n", "p.yaml").hardening().maxBufferMemory())
                .isEqualTo(3L << 30);
        assertThat(ConfigFile.parse("send-buffer-size: 0\n", "p.yaml").hardening().sendBufferSize()).isZero();
    }

    @Test
    void sizeFlagsTakeAUnitOrPlainBytes() {
        Settings flags = parseFlags("--buffer-size", "128k", "--send-buffer-size", "1m",
                "--receive-buffer-size=256KiB", "--max-buffer-memory", "64m").toSettings();

        assertThat(flags.bufferSize()).isEqualTo(128 * 1024);
        assertThat(flags.hardening().sendBufferSize()).isEqualTo(1024 * 1024);
        assertThat(flags.hardening().receiveBufferSize()).isEqualTo(256 * 1024);
        assertThat(flags.hardening().maxBufferMemory()).isEqualTo(64L << 20);
        flags.newBuilder();
        assertThat(parseFlags("--buffer-size", "262144").toSettings().bufferSize()).isEqualTo(262144);
        // A flag in bytes overrides the file's size with a unit, and the other way round.
        Settings file = ConfigFile.parse("buffer-size: 64k\nmax-buffer-memory: 1g\n", "p.yaml");
        Settings merged = file.overriddenBy(parseFlags("--buffer-size", "1048576").toSettings());
        assertThat(merged.bufferSize()).isEqualTo(1 << 20);
        assertThat(merged.hardening().maxBufferMemory()).isEqualTo(1L << 30);
    }

    @Test
    void badSizesNameTheKeyOrFlagAndTheValue() {
        assertThatThrownBy(() -> ConfigFile.parse("buffer-size: 12q\n", "p.yaml"))
                .hasMessage("p.yaml: buffer-size: expected a size such as 262144, 256k or 1m, found '12q'");
        assertThatThrownBy(() -> ConfigFile.parse("buffer-size: 1.5\n", "p.yaml"))
                .hasMessage("p.yaml: buffer-size: expected a size such as 262144, 256k or 1m, found '1.5' (a number)");
        assertThatThrownBy(() -> ConfigFile.parse("receive-buffer-size: [1k]\n", "p.yaml"))
                .hasMessage("p.yaml: receive-buffer-size: expected a size such as 262144, 256k or 1m, found a list");
        assertThatThrownBy(() -> ConfigFile.parse("buffer-size:\n", "p.yaml"))
                .hasMessage("p.yaml: buffer-size: expected a size such as 262144, 256k or 1m, found nothing");
        assertThatThrownBy(() -> ConfigFile.parse("send-buffer-size: -1\n", "p.yaml"))
                .hasMessage("p.yaml: send-buffer-size: size '-1' is negative");
        assertThatThrownBy(() -> ConfigFile.parse("max-buffer-memory: -64m\n", "p.yaml"))
                .hasMessage("p.yaml: max-buffer-memory: size '-64m' is negative");
        // Beyond the Java type: an error, never a wrapped-around value.
        assertThatThrownBy(() -> ConfigFile.parse("buffer-size: 3g\n", "p.yaml"))
                .hasMessage("p.yaml: buffer-size: size '3g' is too large; at most 2147483647 bytes");
        assertThatThrownBy(() -> ConfigFile.parse("buffer-size: 3221225472\n", "p.yaml"))
                .hasMessage("p.yaml: buffer-size: size '3221225472' is too large; at most 2147483647 bytes");
        assertThatThrownBy(() -> ConfigFile.parse("max-buffer-memory: 99999999999999999999\n", "p.yaml"))
                .hasMessage("p.yaml: max-buffer-memory: size '99999999999999999999' is too large;"
                        + " at most 9223372036854775807 bytes");
        assertThatThrownBy(() -> ConfigFile.parse("max-buffer-memory: 8589934592g\n", "p.yaml"))
                .hasMessageContaining("too large");
        // Flags: picocli names the option in front of the same text.
        assertThatThrownBy(() -> parseFlags("--buffer-size", "12q"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("Invalid value for option '--buffer-size':"
                        + " expected a size such as 262144, 256k or 1m, found '12q'");
        assertThatThrownBy(() -> parseFlags("--send-buffer-size", "3g"))
                .hasMessage("Invalid value for option '--send-buffer-size':"
                        + " size '3g' is too large; at most 2147483647 bytes");
        assertThatThrownBy(() -> parseFlags("--max-buffer-memory", "-1k"))
                .hasMessage("Invalid value for option '--max-buffer-memory': size '-1k' is negative");
    }

    @Test
    void theBuilderStillChecksTheRangeOfASizeGivenWithAUnit() {
        assertThatThrownBy(() -> checked("buffer-size: 32m\n"))
                .hasMessage("p.yaml: buffer-size: buffer size 33554432 is out of range 1024-16777216 bytes");
        assertThatThrownBy(() -> parseFlags("--buffer-size", "1023").toSettings().newBuilder())
                .hasMessage("buffer size 1023 is out of range 1024-16777216 bytes");
        assertThatThrownBy(() -> parseFlags("--receive-buffer-size", "1g").toSettings().newBuilder())
                .hasMessageStartingWith("receive buffer size 1073741824 is out of range");
        ConfigFile.parse("buffer-size: 16m\nsend-buffer-size: 256m\n", "p.yaml").newBuilder();
    }

    @Test
    void badLimitValuesAreNamed() {
        assertThatThrownBy(() -> ConfigFile.parse("max-connections: lots\n", "p.yaml"))
                .hasMessage("p.yaml: max-connections: expected a whole number up to 2147483647, found 'lots'");
        assertThatThrownBy(() -> ConfigFile.parse("max-connections: 99999999999\n", "p.yaml"))
                .hasMessageContaining("max-connections: expected a whole number");
        assertThatThrownBy(() -> ConfigFile.parse("max-buffer-memory: 1q\n", "p.yaml"))
                .hasMessage("p.yaml: max-buffer-memory: expected a size such as 262144, 256k or 1m, found '1q'");
        assertThatThrownBy(() -> ConfigFile.parse("send-proxy-protocol: v3\n", "p.yaml"))
                .hasMessage("p.yaml: send-proxy-protocol: PROXY protocol version 'v3' is not one of v1, v2, off");
        assertThat(ConfigFile.parse("send-proxy-protocol: off\n", "p.yaml").hardening().sendProxyProtocol())
                .isEqualTo(ProxyProtocol.OFF);
        assertThat(parseFlags("--send-proxy-protocol", "V1").toSettings().hardening().sendProxyProtocol())
                .isEqualTo(ProxyProtocol.V1);
        assertThatThrownBy(() -> ConfigFile.parse("tcp-nodelay: maybe\n", "p.yaml"))
                .hasMessage("p.yaml: tcp-nodelay: expected true or false, found 'maybe'");
        assertThatThrownBy(() -> ConfigFile.parse("idle-timeout: 5\n", "p.yaml"))
                .hasMessageContaining("idle-timeout");
        assertThatThrownBy(() -> ConfigFile.parse("allow: {a: 1}\n", "p.yaml"))
                .hasMessageContaining("allow: expected a list of CIDR ranges");
        assertThatThrownBy(() -> checked("max-connections: -1\n"))
                .hasMessage("p.yaml: max-connections: max connections -1 must be 0 (no limit) or more");
        assertThatThrownBy(() -> ConfigFile.parse("allow: [10.0.0.1/8]\n", "p.yaml").newBuilder())
                .hasMessageContaining("did you mean 10.0.0.0/8");
        assertThatThrownBy(() -> ConfigFile.parse("receive-buffer-size: 2147483647\n", "p.yaml").newBuilder())
                .hasMessageContaining("receive buffer size 2147483647");
    }
}
