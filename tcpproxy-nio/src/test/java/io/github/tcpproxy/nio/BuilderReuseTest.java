package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.testing.EchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Proxies started from one builder. */
@Timeout(60)
class BuilderReuseTest {

    /**
     * A strategy named to the builder was created once, when named, and shared by every proxy
     * started from it, though a strategy keeps state about one proxy's backends (its round robin
     * position, its tables): the second proxy's first client went to the second backend.
     */
    @Test
    void eachProxyGetsAStrategyOfItsOwn() throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n")) {
            TcpProxy.Builder builder = Loopback.proxyTo(a, b).strategy("round-robin");
            try (RunningProxy first = builder.start();
                    RunningProxy second = builder.start()) {
                assertThat(Greetings.serve(first)).isEqualTo("a");
                assertThat(Greetings.serve(second)).as("the second proxy's first client").isEqualTo("a");
                assertThat(Greetings.serve(first)).isEqualTo("b");
            }
        }
    }
}
