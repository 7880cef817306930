package io.github.tcpproxy.junit5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** Review 2: extension defects, run through the JUnit launcher on nested sample classes. */
@Timeout(120)
class Review2TcpProxyExtensionTest {
    static final List<String> FAILURES = new CopyOnWriteArrayList<>();

    private static TestExecutionSummary run(Map<String, String> config, DiscoverySelector... selectors) {
        FAILURES.clear();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectors).configurationParameters(config).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        summary.getFailures().forEach(f -> FAILURES.add(f.getTestIdentifier().getDisplayName() + ": " + f.getException()));
        return summary;
    }

    /**
     * README: "The proxy is injected into test methods as a RunningProxy parameter; with several
     * extensions, named(...) and @ProxyName(...) pick one." With one extension that has a name,
     * a plain RunningProxy parameter is not resolved at all.
     */
    @Test
    void aSingleNamedExtensionIsInjectedWithoutProxyName() {
        run(Map.of(), selectClass(SingleNamedSample.class));
        assertThat(FAILURES).isEmpty();
    }

    /**
     * A static extension in a base class shared by two test classes that run in parallel: the
     * first class's beforeAll claims the extension ("classScope"), so when that class ends it
     * closes the proxy while the other class's test is still using it.
     */
    @Test
    void aStaticExtensionInASharedBaseClassSurvivesParallelClasses() {
        Map<String, String> parallelClasses = Map.of(
                "junit.jupiter.execution.parallel.enabled", "true",
                "junit.jupiter.execution.parallel.mode.default", "same_thread",
                "junit.jupiter.execution.parallel.mode.classes.default", "concurrent",
                "junit.jupiter.execution.parallel.config.strategy", "fixed",
                "junit.jupiter.execution.parallel.config.fixed.parallelism", "2");
        TestExecutionSummary summary = run(parallelClasses, selectClass(SubA.class), selectClass(SubB.class));
        assertThat(FAILURES).isEmpty();
        assertThat(summary.getTestsSucceededCount()).isEqualTo(2);
    }

    // ---- samples, run by the tests above ----

    static class SingleNamedSample {
        static final EchoServer ECHO = EchoServer.start();

        @RegisterExtension
        static final TcpProxyExtension DB = TcpProxyExtension.to(ECHO.address()).named("db");

        @Test
        void plainParameter(RunningProxy proxy) {
            assertThat(proxy).isSameAs(DB.proxy());
        }
    }

    static final CountDownLatch A_CLAIMED = new CountDownLatch(1);
    static final CountDownLatch A_DONE = new CountDownLatch(1);
    static final CountDownLatch B_IN_TEST = new CountDownLatch(1);

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

    /** Makes SubB's beforeAll come after SubA's, so that SubA owns the shared extension. */
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
            roundTrip(proxy);
            // Overlap the classes: SubB's test is running when this class ends.
            assertThat(B_IN_TEST.await(30, TimeUnit.SECONDS)).as("SubB's test started").isTrue();
        }
    }

    @ExtendWith(WaitForA.class)
    static class SubB extends SharedBase {
        @Test
        void usesTheProxyWhileSubAEnds(RunningProxy proxy) throws Exception {
            B_IN_TEST.countDown();
            assertThat(A_DONE.await(30, TimeUnit.SECONDS)).as("SubA finished").isTrue();
            assertThat(proxy.isRunning()).as("this class's proxy, after the other class ended").isTrue();
            roundTrip(proxy);
        }
    }
}
