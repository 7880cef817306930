package io.github.tcpproxy.junit5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.fault.FlowDirection;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.discovery.ClassSelector;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The extension's life cycle, run through the JUnit launcher on sample classes (nested here, so
 * that the build does not run them on their own) and checked from outside.
 */
@Timeout(120)
class TcpProxyExtensionTest {
    static final FaultTarget DOWN = FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT);
    static final List<RunningProxy> SEEN = new CopyOnWriteArrayList<>();
    static final List<String> FAILURES = new CopyOnWriteArrayList<>();

    private static TestExecutionSummary run(Map<String, String> config, Class<?>... samples) {
        SEEN.clear();
        FAILURES.clear();
        List<ClassSelector> selectors = Arrays.stream(samples).map(c -> selectClass(c)).toList();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectors).configurationParameters(config).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        summary.getFailures().forEach(f -> FAILURES.add(f.getTestIdentifier().getDisplayName() + ": " + f.getException()));
        return summary;
    }

    private static void assertAllPassed(TestExecutionSummary summary, long tests) {
        assertThat(FAILURES).isEmpty();
        assertThat(summary.getTestsSucceededCount()).isEqualTo(tests);
    }

    @Test
    void aStaticFieldGivesOneProxyForTheClassWithFaultsRemovedAfterEachTest() {
        assertAllPassed(run(Map.of(), StaticSample.class), 2);
        assertThat(SEEN).hasSize(2);
        assertThat(SEEN.get(0)).as("the same proxy for both tests").isSameAs(SEEN.get(1));
        assertThat(SEEN.get(0).isRunning()).as("closed after the class").isFalse();
    }

    @Test
    void anInstanceFieldGivesEachTestItsOwnProxy() {
        assertAllPassed(run(Map.of(), InstanceSample.class), 3);
        assertThat(SEEN).hasSize(3).doesNotHaveDuplicates();
        assertThat(SEEN).allMatch(p -> !p.isRunning(), "closed after its test");
    }

    @Test
    void aNestedClassUsesTheProxyOfItsEnclosingClassAndLeavesItOpen() {
        assertAllPassed(run(Map.of(), NestedSample.class), 2);
        assertThat(SEEN).hasSize(2);
        assertThat(SEEN.get(0)).as("the same proxy in the nested class").isSameAs(SEEN.get(1));
        assertThat(SEEN.get(0).isRunning()).as("closed after the enclosing class").isFalse();
    }

    @Test
    void severalNamedProxiesInOneClass() {
        assertAllPassed(run(Map.of(), NamedSample.class), 1);
    }

    @Test
    void aPlainParameterGetsTheProxyOfTheOnlyExtensionAlsoWhenItIsNamed() {
        assertAllPassed(run(Map.of(), SingleNamedSample.class), 1);
    }

    @Test
    void aPlainParameterWithSeveralExtensionsFailsNamingThem() {
        TestExecutionSummary summary = run(Map.of(), AmbiguousSample.class);
        assertThat(summary.getTestsFailedCount()).isEqualTo(1);
        assertThat(FAILURES).singleElement().asString()
                .contains("ParameterResolutionException: RunningProxy parameter 0 of AmbiguousSample.plainParameter(RunningProxy)")
                .contains("any of the 2 TcpProxyExtensions of this test", "'primary'", "unnamed")
                .contains("name each with named(\"...\") and pick one with @ProxyName(\"...\") on the parameter");
    }

    @Test
    void anUnknownProxyNameFailsNamingTheExtensions() {
        TestExecutionSummary summary = run(Map.of(), UnknownNameSample.class);
        assertThat(summary.getTestsFailedCount()).isEqualTo(1);
        assertThat(FAILURES).singleElement().asString()
                .contains("ParameterResolutionException: @ProxyName(\"c\") on RunningProxy parameter 0 of UnknownNameSample.typo(RunningProxy)")
                .contains("no TcpProxyExtension of this test is named 'c'; its extensions: ", "'a'", "'b'");
    }

    /**
     * A static extension in a base class, inherited by two classes that run in parallel: each
     * class has its own proxy, closed after that class while the other class still uses its own,
     * and {@code proxy()} on a test's thread is that test's class's proxy.
     */
    @Test
    void aStaticExtensionInheritedByParallelClassesGivesEachClassItsOwnProxy() {
        Map<String, String> parallelClasses = Map.of(
                "junit.jupiter.execution.parallel.enabled", "true",
                "junit.jupiter.execution.parallel.mode.default", "same_thread",
                "junit.jupiter.execution.parallel.mode.classes.default", "concurrent",
                "junit.jupiter.execution.parallel.config.strategy", "fixed",
                "junit.jupiter.execution.parallel.config.fixed.parallelism", "2");
        assertAllPassed(run(parallelClasses, SubA.class, SubB.class), 2);
        assertThat(SEEN).hasSize(2).doesNotHaveDuplicates();
        assertThat(SEEN).allMatch(p -> !p.isRunning(), "closed after its class");
    }

    /**
     * {@code proxy()} called once every class that uses the extension has ended (here from a later
     * class without it) starts a proxy no class claims: it is closed at the end of the run.
     */
    @Test
    void aProxyStartedAfterTheLastClassEndedIsClosedAtTheEndOfTheRun() {
        Map<String, String> classesInOrder = Map.of(
                "junit.jupiter.testclass.order.default", "org.junit.jupiter.api.ClassOrderer$OrderAnnotation");
        assertAllPassed(run(classesInOrder, LateUserSample.class, FirstUserSample.class), 2);
        assertThat(SEEN).hasSize(2).doesNotHaveDuplicates();
        assertThat(SEEN).allMatch(p -> !p.isRunning(), "closed by the end of the run");
    }

    @Test
    void instanceProxiesAreSafeUnderParallelExecution() {
        Map<String, String> parallel = Map.of(
                "junit.jupiter.execution.parallel.enabled", "true",
                "junit.jupiter.execution.parallel.mode.default", "concurrent",
                "junit.jupiter.execution.parallel.config.strategy", "fixed",
                "junit.jupiter.execution.parallel.config.fixed.parallelism", "4");
        assertAllPassed(run(parallel, ParallelSample.class), 8);
        assertThat(SEEN).hasSize(8).doesNotHaveDuplicates();
    }

    // ---- samples, run by the tests above ----

    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class StaticSample {
        static EchoServer echo;

        @RegisterExtension
        static final TcpProxyExtension PROXY = TcpProxyExtension.to(() -> echo.address());

        @BeforeAll
        static void startBackend() {
            echo = EchoServer.start();
        }

        @AfterAll
        static void stopBackend() {
            echo.close();
        }

        @Test
        @Order(1)
        void leavesAFaultAndADisabledProxyBehind(RunningProxy proxy) throws Exception {
            SEEN.add(proxy);
            assertThat(proxy).isSameAs(PROXY.proxy());
            try (Socket client = Sockets.connect(PROXY.address())) {
                EchoServer.assertEchoes(client, new byte[] {1});
            }
            PROXY.addFault(Faults.refuseConnections());
            proxy.addFault(Faults.latency(java.time.Duration.ofSeconds(5)));
            proxy.disable();
        }

        @Test
        @Order(2)
        void startsClean(RunningProxy proxy) throws Exception {
            SEEN.add(proxy);
            assertThat(proxy.faults()).isEmpty();
            assertThat(proxy.isEnabled()).isTrue();
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, new byte[] {2});
            }
        }
    }

    static class InstanceSample {
        static final EchoServer ECHO = EchoServer.start();

        @RegisterExtension
        final TcpProxyExtension proxy = TcpProxyExtension.to(ECHO.address());
        /** proxy() before the extension is registered: the test takes that proxy over. */
        final int portAtConstruction = proxy.port();

        @RepeatedTest(3)
        void ownProxy(RunningProxy injected) throws Exception {
            SEEN.add(injected);
            assertThat(injected).isSameAs(proxy.proxy());
            assertThat(injected.localAddress().getPort()).isEqualTo(portAtConstruction);
            injected.addFault(Faults.limitData(3), DOWN);
            try (Socket client = Sockets.connect(proxy.address())) {
                client.getOutputStream().write(new byte[10]);
                assertThat(Payloads.readToEof(client.getInputStream(), 100)).hasSize(3);
            }
        }
    }

    static class NamedSample {
        static final EchoServer A = EchoServer.start("a");
        static final EchoServer B = EchoServer.start("b");

        @RegisterExtension
        static final TcpProxyExtension PROXY_A = TcpProxyExtension.to(A.address()).named("a");
        @RegisterExtension
        static final TcpProxyExtension PROXY_B = TcpProxyExtension.to(B.address()).named("b");

        @Test
        void eachParameterGetsItsProxy(@ProxyName("a") RunningProxy a, @ProxyName("b") RunningProxy b)
                throws Exception {
            assertThat(a).isSameAs(PROXY_A.proxy()).isNotSameAs(b);
            assertThat(greeting(a)).isEqualTo("a");
            assertThat(greeting(b)).isEqualTo("b");
        }

        private static String greeting(RunningProxy proxy) throws Exception {
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                return new String(Payloads.readFully(client.getInputStream(), 1), StandardCharsets.US_ASCII);
            }
        }
    }

    static class NestedSample {
        static final EchoServer ECHO = EchoServer.start();

        @RegisterExtension
        static final TcpProxyExtension PROXY = TcpProxyExtension.to(ECHO.address());

        @AfterAll
        static void stillOpenAfterTheNestedClass() {
            // Runs after the nested class ended, before the extension closes the proxy.
            assertThat(SEEN).hasSize(2).allMatch(RunningProxy::isRunning, "running");
            assertThat(PROXY.proxy()).isSameAs(SEEN.get(0));
        }

        @Test
        void outer(RunningProxy proxy) {
            SEEN.add(proxy);
        }

        @Nested
        class Inner {
            @Test
            void inner(RunningProxy proxy) throws Exception {
                SEEN.add(proxy);
                assertThat(PROXY.proxy()).isSameAs(proxy);
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    EchoServer.assertEchoes(client, new byte[] {3});
                }
            }
        }
    }

    static class SingleNamedSample {
        static final EchoServer ECHO = EchoServer.start();

        @RegisterExtension
        static final TcpProxyExtension DB = TcpProxyExtension.to(ECHO.address()).named("db");

        @Test
        void plainParameter(RunningProxy proxy) {
            assertThat(proxy).isSameAs(DB.proxy());
        }
    }

    static class AmbiguousSample {
        static final EchoServer ECHO = EchoServer.start();

        @RegisterExtension
        static final TcpProxyExtension PRIMARY = TcpProxyExtension.to(ECHO.address()).named("primary");
        @RegisterExtension
        static final TcpProxyExtension UNNAMED = TcpProxyExtension.to(ECHO.address());

        @Test
        void plainParameter(RunningProxy proxy) {
            SEEN.add(proxy);
        }
    }

    static class UnknownNameSample {
        static final EchoServer ECHO = EchoServer.start();

        @RegisterExtension
        static final TcpProxyExtension A = TcpProxyExtension.to(ECHO.address()).named("a");
        @RegisterExtension
        static final TcpProxyExtension B = TcpProxyExtension.to(ECHO.address()).named("b");

        @Test
        void typo(@ProxyName("c") RunningProxy proxy) {
            SEEN.add(proxy);
        }
    }

    static final CountDownLatch A_CLAIMED = new CountDownLatch(1);
    static final CountDownLatch A_DONE = new CountDownLatch(1);
    static final CountDownLatch B_IN_TEST = new CountDownLatch(1);
    static final AtomicReference<RunningProxy> A_PROXY = new AtomicReference<>();

    abstract static class SharedBase {
        static final EchoServer ECHO = EchoServer.start();

        @RegisterExtension
        static final TcpProxyExtension PROXY = TcpProxyExtension.to(ECHO.address());

        static void roundTrip(RunningProxy proxy) throws Exception {
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, new byte[] {1, 2, 3});
            }
        }
    }

    /** Runs its afterAll after the proxy extension's (registered first, so called last). */
    static final class SignalADone implements AfterAllCallback {
        @Override
        public void afterAll(ExtensionContext context) {
            A_DONE.countDown();
        }
    }

    /** Makes SubB's beforeAll come after SubA's, as when SubA was the first to use the extension. */
    static final class WaitForA implements BeforeAllCallback {
        @Override
        public void beforeAll(ExtensionContext context) throws Exception {
            assertThat(A_CLAIMED.await(30, TimeUnit.SECONDS)).as("SubA started").isTrue();
        }
    }

    @ExtendWith(SignalADone.class)
    static class SubA extends SharedBase {
        @BeforeAll
        static void claimed() {
            A_CLAIMED.countDown();
        }

        @Test
        void usesTheProxy(RunningProxy proxy) throws Exception {
            SEEN.add(proxy);
            A_PROXY.set(proxy);
            assertThat(PROXY.proxy()).as("proxy() on this test's thread").isSameAs(proxy);
            roundTrip(proxy);
            // Overlap the classes: SubB's test is running when this class ends.
            assertThat(B_IN_TEST.await(30, TimeUnit.SECONDS)).as("SubB's test started").isTrue();
        }
    }

    @ExtendWith(WaitForA.class)
    static class SubB extends SharedBase {
        @Test
        void usesTheProxyWhileSubAEnds(RunningProxy proxy) throws Exception {
            SEEN.add(proxy);
            assertThat(PROXY.proxy()).as("proxy() on this test's thread").isSameAs(proxy);
            // SubA's test waits for B_IN_TEST, so both classes use the extension now: a thread
            // that runs neither class's tests cannot be told which proxy it means.
            FutureTask<RunningProxy> elsewhere = new FutureTask<>(PROXY::proxy);
            Thread thread = new Thread(elsewhere, "not-a-test-thread");
            thread.start();
            thread.join(TimeUnit.SECONDS.toMillis(30));

            B_IN_TEST.countDown();
            assertThat(A_DONE.await(30, TimeUnit.SECONDS)).as("SubA finished").isTrue();
            assertThat(A_PROXY.get().isRunning()).as("SubA's proxy, closed after SubA").isFalse();
            assertThat(proxy.isRunning()).as("this class's proxy, after the other class ended").isTrue();
            roundTrip(proxy);
            assertThatThrownBy(() -> elsewhere.get(0, TimeUnit.SECONDS)).as("proxy() on a thread of neither class")
                    .cause().isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("serves class SubA, class SubB at once")
                    .hasMessageContaining("thread 'not-a-test-thread'")
                    .hasMessageContaining("take it as a RunningProxy parameter");
        }
    }

    static final class SharedExtension {
        static final EchoServer ECHO = EchoServer.start();
        static final TcpProxyExtension PROXY = TcpProxyExtension.to(ECHO.address());
    }

    @org.junit.jupiter.api.Order(1)
    static class FirstUserSample {
        @RegisterExtension
        static final TcpProxyExtension PROXY = SharedExtension.PROXY;

        @Test
        void usesIt(RunningProxy proxy) throws Exception {
            SEEN.add(proxy);
            SharedBase.roundTrip(proxy);
        }
    }

    @org.junit.jupiter.api.Order(2)
    static class LateUserSample {
        @Test
        void callsProxyAfterTheOnlyClassWithTheExtensionEnded() throws Exception {
            RunningProxy late = SharedExtension.PROXY.proxy();
            SEEN.add(late);
            assertThat(late.isRunning()).isTrue();
            SharedBase.roundTrip(late);
        }
    }

    static class ParallelSample {
        static final EchoServer ECHO = EchoServer.start();

        @RegisterExtension
        final TcpProxyExtension proxy = TcpProxyExtension.to(ECHO.address());

        @RepeatedTest(8)
        void ownFaults(RunningProxy injected, org.junit.jupiter.api.RepetitionInfo repetition) throws Exception {
            SEEN.add(injected);
            int limit = 100 * repetition.getCurrentRepetition();
            injected.addFault(Faults.limitData(limit), DOWN);
            try (Socket client = Sockets.connect(proxy.address())) {
                client.getOutputStream().write(new byte[2000]);
                assertThat(Payloads.readToEof(client.getInputStream(), 4000)).hasSize(limit);
            }
            assertThat(injected.faults()).hasSize(1);
        }
    }
}
