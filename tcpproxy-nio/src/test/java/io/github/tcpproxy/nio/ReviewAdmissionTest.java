package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Review: run-time connection limits against their Javadoc. */
@Timeout(60)
class ReviewAdmissionTest {
    private static final Duration WITHIN = Duration.ofSeconds(5);

    /**
     * RunningProxy.setConnectionLimits: "connections opened while a per-client limit was off do
     * not count against it once it is turned on". Admission.admit counts them anyway.
     */
    @Test
    void connectionsOpenedWhilePerClientLimitWasOffDoNotCountAgainstIt() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                Socket before = Sockets.connect(proxy.localAddress())) {
            EchoServer.assertEchoes(before, new byte[] {1});

            proxy.setConnectionLimits(0, 1, 0);
            try (Socket after = Sockets.connect(proxy.localAddress())) {
                after.getOutputStream().write(2);
                Object outcome = Sockets.readOutcome(after);
                assertThat(outcome)
                        .as("first client from 127.0.0.1 since the per-client limit 1 was turned on (the one"
                                + " opened before must not count); refused per client: "
                                + proxy.stats().refusedMaxConnectionsPerClient())
                        .isEqualTo(2);
            }
            Await.until("nothing refused", WITHIN, () -> proxy.stats().refused() == 0);
        }
    }
}
