package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.testing.Sockets;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Mistakes fail where they are made, with a message that names the bad value. */
@Timeout(30)
class ValidationTest {
    private final Backend someBackend = Backend.of("127.0.0.1", Sockets.closedPort());

    @Test
    void startWithoutBackendsFails() {
        assertThatThrownBy(() -> TcpProxy.builder().start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no backends");
    }

    @Test
    void listenPortOutOfRangeIsNamed() {
        assertThatThrownBy(() -> TcpProxy.builder().listen(70000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("70000");
        assertThatThrownBy(() -> TcpProxy.builder().listen(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> TcpProxy.builder().listen("127.0.0.1:70000"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("70000");
    }

    @Test
    void unknownStrategyListsTheKnownOnes() {
        assertThatThrownBy(() -> TcpProxy.builder().strategy("no-such-strategy"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no-such-strategy")
                .hasMessageContainingAll("round-robin", "rr", "random", AlwaysLastStrategyProvider.NAME);
    }

    @Test
    void zeroOrNegativeTimeoutsAreNamed() {
        assertThatThrownBy(() -> TcpProxy.builder().connectTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("connect timeout 0 must be positive");
        assertThatThrownBy(() -> TcpProxy.builder().connectTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("connect timeout", Duration.ofSeconds(-1).toString());
        assertThatThrownBy(() -> TcpProxy.builder().drainTimeout(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("drain timeout", Duration.ofMillis(-5).toString());
    }

    @Test
    void otherOutOfRangeNumbersAreNamed() {
        assertThatThrownBy(() -> TcpProxy.builder().connectAttempts(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("connect attempts", "0");
        assertThatThrownBy(() -> TcpProxy.builder().bufferSize(512))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("buffer size", "512");
        assertThatThrownBy(() -> TcpProxy.builder().reactorThreads(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("reactor threads", "0");
        assertThatThrownBy(() -> TcpProxy.builder().acceptBacklog(-3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("accept backlog", "-3");
        assertThatThrownBy(() -> Backend.of("127.0.0.1", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("backend port", "0");
        assertThatThrownBy(() -> Backend.of("127.0.0.1", 1).withWeight(-2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-2");
    }

    @Test
    void nullsAreRejectedByName() {
        assertThatThrownBy(() -> TcpProxy.builder().listen((InetSocketAddress) null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("listen address", "null");
        assertThatThrownBy(() -> TcpProxy.builder().listen((String) null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("listen address", "null");
        assertThatThrownBy(() -> TcpProxy.builder().backend((Backend) null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("backend", "null");
        assertThatThrownBy(() -> TcpProxy.builder().backends((Backend[]) null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("backends", "null");
        assertThatThrownBy(() -> TcpProxy.builder().strategy((String) null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("strategy", "null");
        assertThatThrownBy(() -> TcpProxy.builder().strategy((Strategy) null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("strategy", "null");
        assertThatThrownBy(() -> TcpProxy.builder().connectTimeout(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("connect timeout", "null");
        assertThatThrownBy(() -> TcpProxy.builder().drainTimeout(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("drain timeout", "null");
    }

    @Test
    void aBackendListedTwiceIsNamed() {
        assertThatThrownBy(() -> TcpProxy.builder().backend(someBackend).backend(someBackend))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll(someBackend.name(), "twice");
    }

    @Test
    void closeRejectsABadDrainTimeoutAndKeepsRunning() {
        try (RunningProxy proxy = Loopback.proxyTo().backend(someBackend).start()) {
            assertThatThrownBy(() -> proxy.close(null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
            assertThatThrownBy(() -> proxy.close(Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-1S");
            assertThat(proxy.isRunning()).isTrue();
        }
    }
}
