package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Review: backends changed at run time against the strategy SPI's contracts. */
@Timeout(60)
class ReviewRuntimeBackendsTest {

    /**
     * SelectionContext.backends(): "BackendView#index() is each one's position in it", and a
     * strategy "may cache tables derived from it keyed on its identity". NioProxy.publish
     * renumbers the shared BackendState objects in place, so a list handed out before a removal
     * (cached, or being used by a strategy on a reactor while removeBackend runs elsewhere) now
     * has elements whose index() is not their position in it.
     */
    @Test
    void aListHandedToTheStrategyKeepsItsIndexesWhenABackendIsRemoved() throws Exception {
        AtomicReference<List<BackendView>> seen = new AtomicReference<>();
        try (EchoServer a = EchoServer.start();
                EchoServer b = EchoServer.start();
                EchoServer c = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(a, b, c).strategy(context -> {
                    seen.set(context.backends());
                    return context.backends().get(context.backends().size() - 1);
                }).start()) {
            try (Socket client = Sockets.connect(proxy.localAddress())) {
                EchoServer.assertEchoes(client, new byte[] {1});
            }
            List<BackendView> list = seen.get();
            assertThat(list).hasSize(3);

            proxy.removeBackend(a.address());

            List<Integer> indexes = new ArrayList<>();
            for (BackendView v : list) {
                indexes.add(v.index());
            }
            assertThat(indexes).as("index() of the elements of the list the strategy was given, after "
                    + "removeBackend(first)").containsExactly(0, 1, 2);
        }
    }
}
