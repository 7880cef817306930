package io.github.tcpproxy.examples.launcher;

import io.github.tcpproxy.RunningProxy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the launcher runs until it is stopped: the proxy and, in demo mode, the echo backends
 * behind it. Thread-safe. {@link #close()} stops the proxy first (it drains open connections),
 * then the backends, so that connections being drained can still get their answers.
 */
final class Session implements AutoCloseable {
    private final RunningProxy proxy;
    private final List<EchoServer> demoBackends;
    private final AccessLog accessLog;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);

    Session(RunningProxy proxy, List<EchoServer> demoBackends) {
        this(proxy, demoBackends, null);
    }

    /** @param accessLog closed after the proxy, so that it gets every connection's line; or null */
    Session(RunningProxy proxy, List<EchoServer> demoBackends, AccessLog accessLog) {
        this.proxy = proxy;
        this.demoBackends = List.copyOf(demoBackends);
        this.accessLog = accessLog;
    }

    /** The address the proxy listens on, with the real port. */
    InetSocketAddress localAddress() {
        return proxy.localAddress();
    }

    /** The running proxy. */
    RunningProxy proxy() {
        return proxy;
    }

    /** The echo backends started by {@code --demo}; empty otherwise. */
    List<EchoServer> demoBackends() {
        return demoBackends;
    }

    /**
     * Stops the proxy, letting open connections finish for its drain time, then the demo backends.
     * Returns when all are stopped; a second call waits for the first one to finish.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitClosedUninterruptibly();
            return;
        }
        try {
            proxy.close();
        } finally {
            for (EchoServer backend : demoBackends) {
                backend.close();
            }
            if (accessLog != null) {
                accessLog.close();
            }
            closed.countDown();
        }
    }

    /**
     * Cuts a {@link #close()} in progress short: open connections are reset now instead of at the
     * end of the drain time. What a second SIGTERM or Ctrl-C does. Returns when the proxy has
     * stopped.
     */
    void closeNow() {
        proxy.close(Duration.ZERO);
    }

    /** Waits until {@link #close()} has finished. */
    void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /** Waits up to {@code timeout} until {@link #close()} has finished; true if it has. */
    boolean awaitClosed(Duration timeout) throws InterruptedException {
        return closed.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void awaitClosedUninterruptibly() {
        boolean interrupted = false;
        while (true) {
            try {
                closed.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
