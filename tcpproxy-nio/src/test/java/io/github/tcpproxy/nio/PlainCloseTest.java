package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Blackhole;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When the proxy ends a connection on its own with a plain close (no backend, a bad PROXY header)
 * while the client's bytes are still unread, the client sees the end of the stream first: closing
 * a socket with unread data sends only a reset, so the proxy shuts its output down before.
 */
@Timeout(60)
class PlainCloseTest {

    @Test
    void aClientWhoseBytesWereNeverReadSeesEndOfStreamWhenNoBackendCanBeReached() throws Exception {
        try (Blackhole hole = Blackhole.start();
                RunningProxy proxy = Loopback.proxyTo().backend(Backend.of(hole.address()))
                        .connectTimeout(Duration.ofMillis(300)).connectAttempts(1).start();
                Socket client = Sockets.connect(proxy.localAddress(), Duration.ofSeconds(10))) {
            client.getOutputStream().write(new byte[100]);
            assertThat(Sockets.readOutcome(client)).as("the client's first read").isEqualTo(-1);
        }
    }

    @Test
    void aClientWithAMalformedProxyHeaderSeesEndOfStream() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).acceptProxyProtocol(true).start();
                Socket client = Sockets.connect(proxy.localAddress(), Duration.ofSeconds(10))) {
            byte[] notAHeader = new byte[300]; // more than the proxy reads before it gives up
            Arrays.fill(notAHeader, (byte) 'G');
            client.getOutputStream().write(notAHeader);
            assertThat(Sockets.readOutcome(client)).as("the client's first read").isEqualTo(-1);
        }
    }
}
