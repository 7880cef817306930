package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When a timeout ends a connection while a direction still holds bytes it read and could not
 * write, those bytes are dropped: the side they were for must see a reset, not a clean FIN that
 * makes the cut stream look complete.
 */
@Timeout(60)
class TimeoutTruncationTest {
    private static final long SIZE = 16L << 20; // more than the socket buffers on the way hold

    @Test
    void aStreamCutShortByTheIdleTimeoutDoesNotEndWithACleanFin() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    try {
                        Payloads.write(socket.getOutputStream(), 7, SIZE); // a long answer, at once
                    } catch (IOException expected) {
                        // the proxy gave up on the connection: fine here
                    }
                    done.await(30, TimeUnit.SECONDS);
                });
                RunningProxy proxy = Loopback.proxyTo(backend).idleTimeout(Duration.ofMillis(500)).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            try {
                // The client does not read for a while: the proxy fills the socket buffers, keeps
                // one buffer of the answer pending, and nothing moves until the idle timeout.
                Await.until("the idle timeout ended the connection", Duration.ofSeconds(20),
                        () -> proxy.stats().idleTimeouts() == 1);
                assertThat(proxy.stats().bytesBackendToClient()).as("the answer was cut short").isLessThan(SIZE);

                long received = 0;
                String end;
                InputStream in = client.getInputStream();
                byte[] buf = new byte[64 * 1024];
                try {
                    for (int r; (r = in.read(buf)) >= 0; ) {
                        received += r;
                    }
                    end = "a clean end of stream (FIN)";
                } catch (IOException e) {
                    end = e.toString();
                }
                assertThat(end).as("how the client's stream ends after %d of the %d bytes of the answer (the proxy "
                        + "dropped the rest)", received, SIZE).isNotEqualTo("a clean end of stream (FIN)");
            } finally {
                done.countDown();
            }
        }
    }
}
