package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.fault.ConnectionFault;
import io.github.tcpproxy.fault.Fault;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An {@link Error} (typically an {@link AssertionError} from a test's own strategy or fault)
 * thrown while a new client is set up costs that client at most: it used to reach the acceptor,
 * whose abort closed the listen socket for good.
 */
@Timeout(60)
class UserCodeErrorTest {

    @Test
    void aStrategyThatThrowsAnErrorCostsThatClientOnly() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (EchoServer echo = EchoServer.start()) {
            Strategy strategy = context -> {
                if (calls.incrementAndGet() == 1) {
                    throw new AssertionError("a bug in a test's strategy");
                }
                return context.backends().get(0);
            };
            try (RunningProxy proxy = Loopback.proxyTo(echo).reactorThreads(1).strategy(strategy).start()) {
                assertServesOnAfterTheFirstClientFailed(proxy, calls);
            }
        }
    }

    @Test
    void aFaultThatThrowsAnErrorOnAttachCostsThatClientOnly() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Fault buggy = context -> {
            if (calls.incrementAndGet() == 1) {
                throw new AssertionError("a bug in a test's fault");
            }
            return new ConnectionFault() {
            };
        };
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).reactorThreads(1).start()) {
            proxy.addFault(buggy, FaultTarget.all());
            // As with a RuntimeException: the fault does not apply to that client, which is served.
            try (Socket first = Sockets.connect(proxy.localAddress(), Duration.ofSeconds(5))) {
                Await.until("the first client's set-up has run", Duration.ofSeconds(5), () -> calls.get() >= 1);
                EchoServer.assertEchoes(first, new byte[] {4, 5, 6});
                assertThat(echoThrough(proxy)).as("a new client is served too").isEqualTo("echoed");
            }
            Await.until("no connection left open", Duration.ofSeconds(5),
                    () -> proxy.stats().activeConnections() == 0);
        }
    }

    /** "echoed", or the failure of a new client's round trip through the proxy. */
    private static Object echoThrough(RunningProxy proxy) {
        try (Socket second = Sockets.connect(proxy.localAddress(), Duration.ofSeconds(5))) {
            EchoServer.assertEchoes(second, new byte[] {1, 2, 3});
            return "echoed";
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static void assertServesOnAfterTheFirstClientFailed(RunningProxy proxy, AtomicInteger calls)
            throws Exception {
        try (Socket first = Sockets.connect(proxy.localAddress(), Duration.ofSeconds(5))) {
            Await.until("the first client's set-up has run", Duration.ofSeconds(5), () -> calls.get() >= 1);
            assertThat(echoThrough(proxy)).as("a new client is still served after one client's set-up threw an Error")
                    .isEqualTo("echoed");
            Object outcome = Sockets.readOutcome(first);
            assertThat(outcome).as("the first client, whose set-up failed, is ended (not left hanging)")
                    .isNotInstanceOf(SocketTimeoutException.class);
        }
        Await.until("no connection left open", Duration.ofSeconds(5), () -> proxy.stats().activeConnections() == 0);
    }
}
