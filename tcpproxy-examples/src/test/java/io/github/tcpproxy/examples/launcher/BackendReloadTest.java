package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.RunningProxy;
// The shared fixture, not this package's line-echo demo server of the same name.
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloading the config file's backends into a running proxy, started on port 0 through
 * {@link Launcher#start}; the reload is called directly, as SIGHUP would.
 */
@Timeout(60)
class BackendReloadTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private EchoServer a;
    private EchoServer b;
    private EchoServer c;
    private Session session;

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (session != null) {
            session.close();
        }
        for (EchoServer s : new EchoServer[] {a, b, c}) {
            if (s != null) {
                s.close();
            }
        }
    }

    @Test
    void addsRemovesAndUpdatesBackendsWhileARemovedBackendsConnectionFinishes() throws Exception {
        a = EchoServer.start("a\n");
        b = EchoServer.start("b\n");
        c = EchoServer.start("c\n");
        Path file = config("strategy: round-robin\nbackends:\n  - " + spec(a) + "\n  - " + spec(b) + "\n");
        Launcher.Result started = start("--config", file.toString(), "--listen", "127.0.0.1:0",
                "--drain-timeout", "1s");
        RunningProxy proxy = session.proxy();

        try (Socket onB = connectTo(proxy, "b")) {
            rewrite(file, "strategy: round-robin\nbackends:\n  - " + spec(a) + ",weight=3,max-conns=5\n  - "
                    + spec(c) + ",weight=2\n");

            BackendReload.Outcome outcome = started.reload().reload();

            assertThat(outcome.failed()).isFalse();
            assertThat(outcome.added()).containsExactly(c.backend().withWeight(2));
            assertThat(outcome.removed()).containsExactly(b.address());
            assertThat(outcome.updated()).containsExactly(a.backend().withWeight(3).withMaxConnections(5));
            assertThat(outcome.needRestart()).isEmpty();
            assertThat(proxy.backends()).extracting(BackendStatus::backend).containsExactly(
                    a.backend().withWeight(3).withMaxConnections(5), c.backend().withWeight(2));
            assertThat(printed()).containsExactly("tcpproxy: reloaded " + file + ": added " + spec(c)
                    + ",weight=2; removed " + spec(b) + " (open connections finish); updated " + spec(a)
                    + ",weight=3,max-conns=5");
            assertThat(errors()).isEmpty();

            // The removed backend's open connection works to its end...
            EchoServer.assertEchoes(onB, Payloads.random(10_000, 1));
            int bConnections = b.connections();
            // ...while new clients go to the others only (round robin: both of them in 4 clients).
            Set<String> servedBy = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    servedBy.add(greeting(client));
                }
            }
            assertThat(servedBy).containsExactlyInAnyOrder("a", "c");
            assertThat(b.connections()).isEqualTo(bConnections);
            onB.shutdownOutput();
            assertThat(onB.getInputStream().read()).isEqualTo(-1);
        }
        a.assertNoFailures();
        b.assertNoFailures();
        c.assertNoFailures();
    }

    @Test
    void anUnchangedFileChangesNothing() throws Exception {
        a = EchoServer.start();
        Path file = config("backends: [" + spec(a) + "]\n");
        Launcher.Result started = start("--config", file.toString(), "--listen", "127.0.0.1:0");

        BackendReload.Outcome outcome = started.reload().reload();

        assertThat(outcome.changedBackends()).isFalse();
        assertThat(outcome.needRestart()).isEmpty();
        assertThat(printed()).containsExactly("tcpproxy: reloaded " + file + ": backends unchanged");
        assertThat(session.proxy().backends()).extracting(BackendStatus::backend).containsExactly(a.backend());
    }

    @Test
    void otherChangedSettingsAreReportedInOneLineAsNeedingARestart() throws Exception {
        a = EchoServer.start();
        b = EchoServer.start();
        Path file = config("strategy: round-robin\nthreads: 1\nbackends: [" + spec(a) + "]\n");
        Launcher.Result started = start("--config", file.toString(), "--listen", "127.0.0.1:0");
        rewrite(file, "strategy: least-connections\nthreads: 2\nslow-start: 5s\nhealth-check: true\n"
                + "listen: 127.0.0.1:1\nbackends: [" + spec(a) + ", " + spec(b) + "]\n");

        BackendReload.Outcome outcome = started.reload().reload();

        // The listen flag still overrides the file: that is no change.
        assertThat(outcome.needRestart()).containsExactly("strategy", "threads", "health-check", "slow-start");
        assertThat(outcome.added()).containsExactly(b.backend());
        assertThat(printed()).containsExactly(
                "tcpproxy: reloaded " + file + ": added " + spec(b) + ",weight=1",
                "tcpproxy: " + file + ": strategy, threads, health-check, slow-start changed; that needs a restart,"
                        + " the running proxy keeps the previous values");

        // Reported again next time: the running proxy still has the old values.
        assertThat(started.reload().reload().needRestart()).containsExactly("strategy", "threads", "health-check",
                "slow-start");
    }

    /** Each reload is judged against the limits the proxy has, not those it was started with. */
    @Test
    void aReloadThatPutsAConnectionLimitBackToItsStartUpValueAppliesIt() throws Exception {
        a = EchoServer.start("a\n");
        Path file = config("max-connections: 1\nbackends: [" + spec(a) + "]\n");
        Launcher.Result started = start("--config", file.toString(), "--listen", "127.0.0.1:0",
                "--drain-timeout", "1s");
        rewrite(file, "max-connections: 2\nbackends: [" + spec(a) + "]\n");
        assertThat(started.reload().reload().failed()).isFalse();
        rewrite(file, "max-connections: 1\nbackends: [" + spec(a) + "]\n");
        out.reset();

        BackendReload.Outcome outcome = started.reload().reload();

        assertThat(outcome.failed()).isFalse();
        assertThat(outcome.needRestart()).isEmpty();
        assertThat(printed()).containsExactly(
                "tcpproxy: reloaded " + file + ": backends unchanged; connection limits applied");
        // The second client connects only once the first is served: with a listen socket per
        // reactor (SO_REUSEPORT, Linux, 2+ threads) the kernel may hand the two to different
        // reactors, which accept them in either order, so the second could take the one place.
        try (Socket first = Sockets.connect(session.localAddress())) {
            assertThat(greeting(first)).isEqualTo("a");
            try (Socket second = Sockets.connect(session.localAddress())) {
                Object refused = Sockets.readOutcome(second);
                assertThat(session.proxy().stats().refusedMaxConnections())
                        .as("a second client with max-connections back at 1 (its read gave %s)", refused)
                        .isEqualTo(1);
            }
        }
    }

    /** "Not given" and 0 both mean no limit: writing the 0 into the file changes nothing. */
    @Test
    void aConnectionLimitOfZeroWhereNoneWasGivenIsNoChange() throws Exception {
        a = EchoServer.start();
        Path file = config("backends: [" + spec(a) + "]\n");
        Launcher.Result started = start("--config", file.toString(), "--listen", "127.0.0.1:0");
        rewrite(file, "max-connections: 0\nbackends: [" + spec(a) + "]\n");

        BackendReload.Outcome outcome = started.reload().reload();

        assertThat(outcome.needRestart()).isEmpty();
        assertThat(printed()).containsExactly("tcpproxy: reloaded " + file + ": backends unchanged");
    }

    @Test
    void anInvalidFileKeepsTheRunningConfigurationAndPrintsOneErrorLine() throws Exception {
        a = EchoServer.start("a\n");
        b = EchoServer.start("b\n");
        Path file = config("backends: [" + spec(a) + "]\n");
        Launcher.Result started = start("--config", file.toString(), "--listen", "127.0.0.1:0");
        List<Backend> before = session.proxy().backends().stream().map(BackendStatus::backend).toList();

        for (String bad : List.of(
                "backends: [" + spec(b) + "\n",                       // not YAML
                "backends: [" + spec(b) + "]\nbakends: []\n",          // unknown key
                "backends: ['" + spec(b) + ",weight=-1']\n",           // bad value
                "backends: [" + spec(b) + "]\nstrategy: fastest\n",    // unknown strategy
                "backends: [" + spec(b) + ", " + spec(b) + "]\n",      // listed twice
                "backends: []\n",                                      // would leave none
                "strategy: rr\n")) {                                   // idem
            rewrite(file, bad);
            err.reset();
            out.reset();

            BackendReload.Outcome outcome = started.reload().reload();

            assertThat(outcome.failed()).as(bad).isTrue();
            assertThat(errors()).as(bad).hasSize(1);
            assertThat(errors().get(0)).as(bad)
                    .startsWith("tcpproxy: reload of " + file + " failed; still running the previous configuration: ")
                    .doesNotContain("Exception");
            assertThat(out.size()).as(bad).isZero();
            assertThat(session.proxy().backends()).extracting(BackendStatus::backend).containsExactlyElementsOf(before);
        }
        Files.delete(file);
        assertThat(started.reload().reload().error()).contains("does not exist");

        try (Socket client = Sockets.connect(session.localAddress())) {
            assertThat(greeting(client)).isEqualTo("a");
        }
    }

    @Test
    void backendFlagsOverrideTheFilesBackendsOnAReloadToo() throws Exception {
        a = EchoServer.start();
        b = EchoServer.start();
        Path file = config("backends: [" + spec(b) + "]\n");
        Launcher.Result started = start("--config", file.toString(), "--listen", "127.0.0.1:0",
                "--backend", spec(a));
        rewrite(file, "backends: [" + spec(b) + ", 127.0.0.1:9]\n");

        BackendReload.Outcome outcome = started.reload().reload();

        assertThat(outcome.changedBackends()).isFalse();
        assertThat(printed()).containsExactly("tcpproxy: reloaded " + file
                + ": backends unchanged (--backend flags replace the file's backends)");
        assertThat(session.proxy().backends()).extracting(BackendStatus::backend).containsExactly(a.backend());
    }

    @Test
    void noReloadWithoutAConfigFileOrInDemoMode() {
        Launcher.Result plain = Launcher.start(new String[] {"--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9"},
                printStream(out), printStream(err));
        try {
            assertThat(plain.session()).isNotNull();
            assertThat(plain.reload()).isNull();
        } finally {
            plain.session().close();
        }
    }

    @Test
    void reloadingAddsABackendThatRampsUpUnderSlowStart() throws Exception {
        a = EchoServer.start();
        b = EchoServer.start();
        Path file = config("strategy: weighted-least-connections\nslow-start: 3s\nbackends: [" + spec(a) + "]\n");
        Launcher.Result started = start("--config", file.toString(), "--listen", "127.0.0.1:0");
        rewrite(file, "strategy: weighted-least-connections\nslow-start: 3s\nbackends: [" + spec(a) + ", '"
                + spec(b) + ",weight=20']\n");

        started.reload().reload();

        BackendStatus added = session.proxy().backends().get(1);
        assertThat(added.address()).isEqualTo(b.address());
        assertThat(added.weight()).isEqualTo(20);
        assertThat(added.effectiveWeight()).as("just added, under a 3 s slow start").isLessThan(20);
    }

    /** Static diff, no file: the order of operations never leaves the proxy without a backend. */
    @Test
    void applyReplacingTheWholeListAddsBeforeItRemoves() throws Exception {
        a = EchoServer.start();
        b = EchoServer.start();
        try (RunningProxy proxy = io.github.tcpproxy.TcpProxy.builder()
                .listen(new InetSocketAddress(Sockets.loopback(), 0)).backend(a.backend()).start()) {
            AtomicInteger sawNone = new AtomicInteger();
            RunningProxy watching = countingEmpty(proxy, sawNone);

            BackendReload.Outcome outcome = BackendReload.apply(watching, List.of(b.backend()), List.of());

            assertThat(outcome.added()).containsExactly(b.backend());
            assertThat(outcome.removed()).containsExactly(a.address());
            assertThat(sawNone).hasValue(0);
            assertThat(proxy.backends()).extracting(BackendStatus::backend).containsExactly(b.backend());
            assertThatThrownBy(() -> BackendReload.apply(proxy, List.of(), List.of()))
                    .hasMessageContaining("no backends");
        }
    }

    /** SIGHUP itself, where the platform has it: raised in this JVM, handled, then restored. */
    @Test
    void sighupRunsTheActionAndClosingRestoresThePreviousHandler() throws Exception {
        CompletableFuture<String> ran = new CompletableFuture<>();
        AutoCloseable handler = Hangup.onHangup(() -> ran.complete(Thread.currentThread().getName()));
        Assumptions.assumeTrue(handler != null, "no SIGHUP on this platform");
        try {
            raiseHangup();
            assertThat(ran.get(10, TimeUnit.SECONDS)).isNotEmpty();
        } finally {
            handler.close();
        }
    }

    // ---- helpers ----

    private Launcher.Result start(String... args) {
        Launcher.Result result = Launcher.start(args, printStream(out), printStream(err));
        assertThat(result.session()).as("session; exit %d, stderr: %s", result.exitCode(),
                err.toString(StandardCharsets.UTF_8)).isNotNull();
        session = result.session();
        out.reset();
        return result;
    }

    private Path config(String yaml) throws IOException {
        return Files.writeString(dir.resolve("proxy.yaml"), yaml, StandardCharsets.UTF_8);
    }

    private static void rewrite(Path file, String yaml) throws IOException {
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
    }

    private List<String> printed() {
        return out.toString(StandardCharsets.UTF_8).lines().collect(Collectors.toList());
    }

    private List<String> errors() {
        return err.toString(StandardCharsets.UTF_8).lines().collect(Collectors.toList());
    }

    private static PrintStream printStream(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    private static String spec(EchoServer server) {
        return Launcher.format(server.address());
    }

    /** The one-letter greeting of the echo backend a client reached. */
    private static String greeting(Socket client) throws IOException {
        return new String(Payloads.readFully(client.getInputStream(), 2), StandardCharsets.US_ASCII).trim();
    }

    /** Connects clients until one is greeted by {@code name} (bounded), and returns that one open. */
    private static Socket connectTo(RunningProxy proxy, String name) throws IOException {
        for (int i = 0; i < 20; i++) {
            Socket client = Sockets.connect(proxy.localAddress());
            if (greeting(client).equals(name)) {
                return client;
            }
            client.close();
        }
        throw new AssertionError("no client reached backend " + name + " in 20 tries");
    }

    private static void raiseHangup() throws ReflectiveOperationException {
        Class<?> signal = Class.forName("sun.misc.Signal");
        Object hup = signal.getConstructor(String.class).newInstance("HUP");
        signal.getMethod("raise", signal).invoke(null, hup);
    }

    /**
     * {@code proxy} behind a dynamic proxy that counts how often, right after a call that changes
     * the backends, it has none (a dynamic proxy so that new API methods need no change here).
     */
    private static RunningProxy countingEmpty(RunningProxy proxy, AtomicInteger sawNone) {
        return (RunningProxy) java.lang.reflect.Proxy.newProxyInstance(RunningProxy.class.getClassLoader(),
                new Class<?>[] {RunningProxy.class}, (self, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(proxy, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().matches("addBackend|removeBackend|updateBackend|setWeight")
                            && proxy.backends().isEmpty()) {
                        sawNone.incrementAndGet();
                    }
                    return result;
                });
    }
}
