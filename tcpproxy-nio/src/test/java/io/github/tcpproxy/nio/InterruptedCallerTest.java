package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A caller whose thread is interrupted (JUnit's timeouts and executors' cancellation do that)
 * must not be told a change failed when it went through, nor get back from close() with the
 * proxy's threads still running; and the methods that wait for the proxy's threads refuse to run
 * on them.
 */
@Timeout(60)
class InterruptedCallerTest {

    /** addFault threw "interrupted" while the fault was already in force, with no handle to remove it. */
    @Test
    void anInterruptedAddFaultReturnsItsHandleAndKeepsTheInterrupt() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start()) {
            Thread.currentThread().interrupt();
            FaultHandle handle;
            try {
                handle = proxy.addFault(Faults.latency(Duration.ofMillis(1)));
            } finally {
                assertThat(Thread.interrupted()).as("interrupt status kept (and cleared here)").isTrue();
            }
            assertThat(proxy.faults()).containsExactly(handle);

            Thread.currentThread().interrupt();
            try {
                handle.close();
            } finally {
                assertThat(Thread.interrupted()).isTrue();
            }
            assertThat(handle.isActive()).isFalse();
            assertThat(proxy.faults()).isEmpty();
        }
    }

    /** close() on an interrupted thread returned at once, with the reactors still running. */
    @Test
    void anInterruptedCloseStillStopsEveryThreadOfTheProxy() throws Exception {
        try (EchoServer echo = EchoServer.start()) {
            RunningProxy proxy = Loopback.proxyTo(echo).drainTimeout(Duration.ofSeconds(30)).start();
            try (Socket open = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(open, new byte[] {1});
                Thread.currentThread().interrupt();
                try {
                    proxy.close(); // would drain for 30 s: the interrupt cuts that short
                } finally {
                    assertThat(Thread.interrupted()).as("interrupt status kept").isTrue();
                }
                assertThat(Loopback.proxyThreads()).as("threads left after close()").isEmpty();
                assertThat(proxy.stats().activeConnections()).isZero();
            } finally {
                proxy.close(Duration.ZERO);
            }
        }
    }

    /**
     * disable(), enable() and a refusing fault wait for the acceptors, which threw when
     * interrupted, half-way: disable() left every client refused while isEnabled() said true.
     */
    @Test
    void interruptedDisableEnableAndRefusingFaultsFinish() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start()) {
            Thread.currentThread().interrupt();
            try {
                proxy.disable();
            } finally {
                assertThat(Thread.interrupted()).as("interrupt status kept").isTrue();
            }
            assertThat(proxy.isEnabled()).isFalse();

            Thread.currentThread().interrupt();
            try {
                proxy.enable();
            } finally {
                assertThat(Thread.interrupted()).isTrue();
            }
            assertThat(proxy.isEnabled()).isTrue();
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, new byte[] {1});
            }

            Thread.currentThread().interrupt();
            FaultHandle refusing;
            try {
                refusing = proxy.addFault(Faults.refuseConnections());
            } finally {
                assertThat(Thread.interrupted()).isTrue();
            }
            assertThat(proxy.faults()).containsExactly(refusing);
            refusing.close();
        }
    }

    /** A second close() while the first drains, interrupted, returned before the proxy had stopped. */
    @Test
    void anInterruptedSecondCloseCutsTheDrainShortAndWaitsForTheStop() throws Exception {
        try (EchoServer echo = EchoServer.start()) {
            NioProxy proxy = (NioProxy) Loopback.proxyTo(echo).drainTimeout(Duration.ofSeconds(30)).start();
            try (Socket open = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(open, new byte[] {1});
                CompletableFuture<Void> first = Async.start("first-close", () -> {
                    proxy.close(); // drains for up to 30 s: the connection stays open
                    return null;
                });
                Await.until("the first close() has begun", Duration.ofSeconds(10), () -> !proxy.isRunning());
                Thread.currentThread().interrupt();
                try {
                    proxy.close();
                } finally {
                    assertThat(Thread.interrupted()).as("interrupt status kept").isTrue();
                }
                assertThat(proxy.isTerminated()).as("stopped when the second close() returned").isTrue();
                first.get(10, TimeUnit.SECONDS);
            } finally {
                proxy.close(Duration.ZERO);
            }
        }
    }

    /** removeAllFaults() from a listener threw only when there were faults to remove. */
    @Test
    void removeAllFaultsOnAProxyThreadIsRefusedEvenWithNoFaults() throws Exception {
        CompletableFuture<RunningProxy> self = new CompletableFuture<>();
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        ConnectionListener listener = new ConnectionListener() {
            @Override
            public void accepted(long id, InetSocketAddress client) {
                try {
                    self.getNow(null).removeAllFaults();
                    thrown.complete(null);
                } catch (RuntimeException e) {
                    thrown.complete(e);
                }
            }
        };
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).connectionListener(listener).start()) {
            self.complete(proxy);
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, new byte[] {1});
            }
            assertThatThrownBy(() -> {
                throw thrown.get(10, TimeUnit.SECONDS);
            }).isInstanceOf(IllegalStateException.class).hasMessageContaining("removeAllFaults()");
        }
    }
}
