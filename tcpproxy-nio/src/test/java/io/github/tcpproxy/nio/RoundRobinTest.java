package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The default strategy spreads connections evenly, counted where they land. */
@Timeout(60)
class RoundRobinTest {

    @Test
    void splitsThreeHundredClientsEvenlyOverThreeBackends() throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n");
                EchoServer c = EchoServer.start("c\n");
                RunningProxy proxy = Loopback.proxyTo(a, b, c).strategy("round-robin").start()) {
            Map<String, Integer> greetedBy = new TreeMap<>();
            for (int i = 0; i < 300; i++) {
                try (Socket client = Sockets.connect(proxy.localAddress())) {
                    String name = new String(Payloads.readFully(client.getInputStream(), 2), StandardCharsets.US_ASCII);
                    greetedBy.merge(name.trim(), 1, Integer::sum);
                    EchoServer.assertEchoes(client, new byte[] {(byte) i});
                }
            }

            assertThat(greetedBy).isEqualTo(Map.of("a", 100, "b", 100, "c", 100));
            assertThat(new int[] {a.connections(), b.connections(), c.connections()})
                    .containsExactly(100, 100, 100);
            a.assertNoFailures();
            b.assertNoFailures();
            c.assertNoFailures();
        }
    }
}
