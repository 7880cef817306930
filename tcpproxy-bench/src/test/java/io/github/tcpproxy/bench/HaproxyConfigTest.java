package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HaproxyConfigTest {

    private static Map<Service, InetSocketAddress> ports(int base, Service... services) {
        Map<Service, InetSocketAddress> m = new EnumMap<>(Service.class);
        for (Service s : services) {
            m.put(s, new InetSocketAddress("127.0.0.1", base + s.ordinal()));
        }
        return m;
    }

    @Test
    void oneTcpListenSectionPerBackendWithTheLimitsGiven() {
        String cfg = HaproxyTarget.config(2, 9_900, Path.of("/tmp/x/haproxy.sock"),
                ports(7000, Service.STREAM, Service.RATE), ports(9000, Service.STREAM, Service.RATE));
        assertThat(cfg).contains("nbthread 2\n", "noreuseport\n", "mode tcp\n", "stats socket /tmp/x/haproxy.sock ")
                .contains("listen stream\n    bind 127.0.0.1:7000\n    server s1 127.0.0.1:9000\n")
                .contains("listen rate\n    bind 127.0.0.1:7001\n    server s1 127.0.0.1:9001\n");
        // maxconn both globally and for the frontends, whose own default is lower
        assertThat(cfg.split("maxconn 9900\n", -1)).hasSize(3);
    }

    @Test
    void everyServiceGetsItsSectionInTheServicesOrder() {
        Map<Service, InetSocketAddress> backends = ports(9000, Service.values());
        String cfg = HaproxyTarget.config(1, 100, Path.of("/tmp/x/haproxy.sock"),
                ports(7000, Service.values()), backends);
        int last = -1;
        for (Service s : Service.values()) {
            int at = cfg.indexOf("listen " + s.id() + "\n    bind 127.0.0.1:" + (7000 + s.ordinal())
                    + "\n    server s1 127.0.0.1:" + (9000 + s.ordinal()) + "\n");
            assertThat(at).as(s.id()).isGreaterThan(last);
            last = at;
        }
        assertThat(cfg).contains("listen redis\n", "listen halfclose\n");
        assertThat(cfg.split("\nlisten ", -1)).hasSize(Service.values().length + 1);
    }

    @Test
    void aBackendWithoutListenAddressIsRejectedByName() {
        assertThatThrownBy(() -> HaproxyTarget.config(1, 100, Path.of("/tmp/x/haproxy.sock"),
                ports(7000, Service.STREAM), ports(9000, Service.STREAM, Service.REDIS)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis");
    }
}
