package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.ConnectionListener;
import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Async;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A reset found while writing to the side that reset must be reported as ended first by that side. */
@Timeout(30)
class ResetAttributionTest {
    private final LinkedBlockingQueue<ConnectionSummary> closed = new LinkedBlockingQueue<>();
    private final ConnectionListener listener = new ConnectionListener() {
        @Override
        public void closed(ConnectionSummary s) {
            closed.offer(s);
        }
    };

    /** Writes {@code chunk}-sized writes until an error, paced by {@code pauseNanos}; at most {@code max} writes. */
    private static Object writeUntilError(OutputStream out, int chunk, long max, long pauseNanos) {
        try {
            for (long i = 0; i < max; i++) {
                out.write(new byte[chunk]);
                if (pauseNanos > 0) {
                    LockSupport.parkNanos(pauseNanos); // the writer's pace, not a wait for anything
                }
            }
            return "no error";
        } catch (IOException e) {
            return e;
        }
    }

    /** The connection's summary says it ended with a reset that {@code side} sent. */
    private void assertResetBy(ConnectionSummary.Side side) throws InterruptedException {
        ConnectionSummary s = closed.poll(5, TimeUnit.SECONDS);
        assertThat(s).as("the connection's summary").isNotNull();
        assertThat(s.end()).isEqualTo(ConnectionSummary.End.RESET);
        assertThat(s.endedFirst()).as("who ended first").isEqualTo(side);
    }

    @Test
    void backendResetFoundWhileWritingTheClientsUploadIsEndedFirstByTheBackend() throws Exception {
        // The client uploads (paced) and never reads; the backend reads the upload, answers 64 MiB
        // (so the proxy holds data for the client and stops reading the backend), then resets.
        CountDownLatch resetNow = new CountDownLatch(1);
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    Async.start("b-writer", () -> Payloads.write(socket.getOutputStream(), 1, 64L << 20));
                    Async.start("b-reader", () -> Payloads.drain(socket.getInputStream(), Long.MAX_VALUE));
                    resetNow.await(20, TimeUnit.SECONDS);
                    Sockets.reset(socket);
                });
                RunningProxy proxy = Loopback.proxyTo(backend).bufferSize(64 * 1024).connectionListener(listener).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            CompletableFuture<Object> upload = Async.start("c-writer",
                    () -> writeUntilError(client.getOutputStream(), 1024, 100_000, 200_000));
            Await.until("the proxy holds data for the client", Duration.ofSeconds(10), () -> proxy.stats().bufferedBytes() > 0);
            resetNow.countDown();
            assertThat(upload.get(15, TimeUnit.SECONDS)).as("the client's upload after the backend reset")
                    .isInstanceOf(IOException.class);
            assertResetBy(ConnectionSummary.Side.BACKEND);
        }
    }

    @Test
    void clientResetFoundWhileWritingTheBackendsAnswerIsEndedFirstByTheClient() throws Exception {
        // The client uploads to a backend that does not read yet (so the proxy holds data for the
        // backend and stops reading the client), then resets; then the backend answers.
        CountDownLatch answerNow = new CountDownLatch(1);
        CompletableFuture<Object> answer = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    answerNow.await(20, TimeUnit.SECONDS);
                    answer.complete(writeUntilError(socket.getOutputStream(), 1024, 1 << 20, 0));
                });
                RunningProxy proxy = Loopback.proxyTo(backend).bufferSize(64 * 1024).connectionListener(listener).start()) {
            Socket client = Sockets.connect(proxy.localAddress());
            Async.start("c-writer", () -> writeUntilError(client.getOutputStream(), 8192, 128 * 1024, 0));
            Await.until("the proxy holds data for the backend", Duration.ofSeconds(10), () -> proxy.stats().bufferedBytes() > 0);
            Sockets.reset(client);
            answerNow.countDown();
            assertThat(answer.get(15, TimeUnit.SECONDS)).as("the backend's answer after the client reset")
                    .isInstanceOf(IOException.class);
            assertResetBy(ConnectionSummary.Side.CLIENT);
        }
    }
}
