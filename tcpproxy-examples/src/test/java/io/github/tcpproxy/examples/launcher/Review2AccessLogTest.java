package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.ConnectionSummary;
import io.github.tcpproxy.ConnectionSummary.End;
import io.github.tcpproxy.ConnectionSummary.Side;
import io.github.tcpproxy.testing.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Review 2: the access log when its writes fail. */
@Timeout(60)
class Review2AccessLogTest {

    /**
     * When a write fails (a full disk), the writer thread ends but lines keep being queued; once
     * the queue is full, close() waits its whole 5 s for room for the stop marker that nobody
     * will take, so stopping the launcher takes 5 s longer (a second Ctrl-C cannot cut it short:
     * it only cuts the proxy's drain).
     */
    @Test
    void closeIsPromptAfterAFailedWrite() {
        AtomicInteger attempts = new AtomicInteger();
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                attempts.incrementAndGet();
                throw new IOException("No space left on device");
            }
        };
        AccessLog log = AccessLog.open("-", failing);
        ConnectionSummary s = new ConnectionSummary(1, new InetSocketAddress("127.0.0.1", 50312),
                new InetSocketAddress("127.0.0.1", 8080), 1, 1, Duration.ofMillis(1), End.COMPLETED, Side.CLIENT);
        log.closed(s);
        Await.until("the writer met the failure", Duration.ofSeconds(10), () -> attempts.get() > 0);
        for (int i = 0; i < 20_000; i++) {
            log.closed(s);
        }

        long start = System.nanoTime();
        log.close();
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(millis).as("ms close() took after the access log's writes failed").isLessThan(2_000);
    }
}
