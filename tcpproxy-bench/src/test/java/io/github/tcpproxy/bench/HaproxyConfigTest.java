package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HaproxyConfigTest {

    @Test
    void oneTcpListenSectionPerBackendWithTheLimitsGiven() {
        String cfg = HaproxyTarget.config(2, 9_900, Path.of("/tmp/x/haproxy.sock"),
                List.of(new InetSocketAddress("127.0.0.1", 7001), new InetSocketAddress("127.0.0.1", 7002)),
                List.of(new InetSocketAddress("127.0.0.1", 9001), new InetSocketAddress("127.0.0.1", 9002)));
        assertThat(cfg).contains("nbthread 2\n", "mode tcp\n", "stats socket /tmp/x/haproxy.sock ")
                .contains("listen stream\n    bind 127.0.0.1:7001\n    server s1 127.0.0.1:9001\n")
                .contains("listen rate\n    bind 127.0.0.1:7002\n    server s1 127.0.0.1:9002\n");
        // maxconn both globally and for the frontends, whose own default is lower
        assertThat(cfg.split("maxconn 9900\n", -1)).hasSize(3);
    }
}
