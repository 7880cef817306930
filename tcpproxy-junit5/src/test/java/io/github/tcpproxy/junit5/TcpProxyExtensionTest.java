package io.github.tcpproxy.junit5;

import static org.assertj.core.api.Assertions.assertThat;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
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

    private static TestExecutionSummary run(Class<?> sample, Map<String, String> config) {
        SEEN.clear();
        FAILURES.clear();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(sample)).configurationParameters(config).build();
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
        assertAllPassed(run(StaticSample.class, Map.of()), 2);
        assertThat(SEEN).hasSize(2);
        assertThat(SEEN.get(0)).as("the same proxy for both tests").isSameAs(SEEN.get(1));
        assertThat(SEEN.get(0).isRunning()).as("closed after the class").isFalse();
    }

    @Test
    void anInstanceFieldGivesEachTestItsOwnProxy() {
        assertAllPassed(run(InstanceSample.class, Map.of()), 3);
        assertThat(SEEN).hasSize(3).doesNotHaveDuplicates();
        assertThat(SEEN).allMatch(p -> !p.isRunning(), "closed after its test");
    }

    @Test
    void severalNamedProxiesInOneClass() {
        assertAllPassed(run(NamedSample.class, Map.of()), 1);
    }

    @Test
    void instanceProxiesAreSafeUnderParallelExecution() {
        Map<String, String> parallel = Map.of(
                "junit.jupiter.execution.parallel.enabled", "true",
                "junit.jupiter.execution.parallel.mode.default", "concurrent",
                "junit.jupiter.execution.parallel.config.strategy", "fixed",
                "junit.jupiter.execution.parallel.config.fixed.parallelism", "4");
        assertAllPassed(run(ParallelSample.class, parallel), 8);
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

        @RepeatedTest(3)
        void ownProxy(RunningProxy injected) throws Exception {
            SEEN.add(injected);
            assertThat(injected).isSameAs(proxy.proxy());
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
