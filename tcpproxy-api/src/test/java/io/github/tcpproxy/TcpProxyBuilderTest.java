package io.github.tcpproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.spi.Strategy;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Builder validation, checked without an engine (this module has none on its test class path). */
class TcpProxyBuilderTest {

    @Test
    void startWithoutEngineNamesTheArtifactToAdd() {
        TcpProxy.Builder builder = TcpProxy.builder().backend("127.0.0.1", 8080);
        assertThatThrownBy(builder::start)
                .isInstanceOf(TcpProxyException.class)
                .hasMessageContaining("io.github.tcpproxy:tcpproxy-nio");
    }

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
                .hasMessage("listen port 70000 is out of range 0-65535");
        assertThatThrownBy(() -> TcpProxy.builder().listen(-1))
                .hasMessageContaining("-1");
    }

    @Test
    void listenStringIsParsed() {
        TcpProxy.builder().listen("127.0.0.1:0").listen("[::1]:0").listen("*:0").listen(":0");
        assertThatThrownBy(() -> TcpProxy.builder().listen("127.0.0.1"))
                .hasMessageContaining("'127.0.0.1'").hasMessageContaining("host:port");
        assertThatThrownBy(() -> TcpProxy.builder().listen("127.0.0.1:http"))
                .hasMessageContaining("'http'");
        assertThatThrownBy(() -> TcpProxy.builder().listen("::1:80"))
                .hasMessageContaining("brackets");
        assertThatThrownBy(() -> TcpProxy.builder().listen("127.0.0.1:65536"))
                .hasMessageContaining("65536");
    }

    @Test
    void nullsAreRejectedWithTheirName() {
        TcpProxy.Builder b = TcpProxy.builder();
        assertThatThrownBy(() -> b.listen((InetSocketAddress) null)).hasMessageContaining("listen address");
        assertThatThrownBy(() -> b.listen((String) null)).hasMessageContaining("listen address");
        assertThatThrownBy(() -> b.backend(null)).hasMessageContaining("backend");
        assertThatThrownBy(() -> b.backends((Backend[]) null)).hasMessageContaining("backends");
        assertThatThrownBy(() -> b.backends(Backend.of("127.0.0.1", 1), null)).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> b.strategy((Strategy) null)).hasMessageContaining("strategy");
        assertThatThrownBy(() -> b.strategy((String) null)).hasMessageContaining("strategy");
        assertThatThrownBy(() -> b.connectTimeout(null)).hasMessageContaining("connect timeout");
        assertThatThrownBy(() -> b.drainTimeout(null)).hasMessageContaining("drain timeout");
    }

    @Test
    void timeoutsMustBePositive() {
        TcpProxy.Builder b = TcpProxy.builder();
        assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connect timeout 0 ");
        assertThatThrownBy(() -> b.connectTimeout(Duration.ofSeconds(-1)))
                .hasMessageContaining("PT-1S");
        assertThatThrownBy(() -> b.drainTimeout(Duration.ofMillis(-5))).hasMessageContaining("drain timeout");
        b.drainTimeout(Duration.ZERO);
    }

    @Test
    void numericLimitsAreChecked() {
        TcpProxy.Builder b = TcpProxy.builder();
        assertThatThrownBy(() -> b.connectAttempts(0)).hasMessageContaining("connect attempts 0");
        assertThatThrownBy(() -> b.reactorThreads(0)).hasMessageContaining("reactor threads 0");
        assertThatThrownBy(() -> b.bufferSize(10)).hasMessageContaining("buffer size 10");
        assertThatThrownBy(() -> b.acceptBacklog(0)).hasMessageContaining("accept backlog 0");
    }

    @Test
    void unknownStrategyListsTheKnownOnes() {
        assertThatThrownBy(() -> TcpProxy.builder().strategy("fastest"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown strategy 'fastest'")
                .hasMessageContaining("round-robin")
                .hasMessageContaining("rr")
                .hasMessageContaining("random");
    }

    @Test
    void strategyOptionsAreCheckedByTheProvider() {
        TcpProxy.builder().strategy("random,seed=42").strategy("RR");
        assertThatThrownBy(() -> TcpProxy.builder().strategy("round-robin,foo=1"))
                .hasMessageContaining("no option 'foo'");
        assertThatThrownBy(() -> TcpProxy.builder().strategy("random,seed=abc"))
                .hasMessageContaining("seed 'abc'");
        assertThatThrownBy(() -> TcpProxy.builder().strategy("random,seed"))
                .hasMessageContaining("name=value");
    }

    @Test
    void sameBackendTwiceIsRejected() {
        assertThatThrownBy(() -> TcpProxy.builder().backend("127.0.0.1", 8080).backend("127.0.0.1", 8080))
                .hasMessage("backend 127.0.0.1:8080 is listed twice");
    }

    @Test
    void limitsAndTimeoutsAreCheckedAndZeroTurnsThemOff() {
        TcpProxy.Builder b = TcpProxy.builder()
                .maxConnections(0).maxConnectionsPerClient(0).maxConnectionRatePerClient(0)
                .idleTimeout(Duration.ZERO).halfClosedTimeout(Duration.ZERO)
                .sendBufferSize(0).receiveBufferSize(0)
                .maxConnections(10_000).maxConnectionsPerClient(10).maxConnectionRatePerClient(5)
                .idleTimeout(Duration.ofMinutes(5)).halfClosedTimeout(Duration.ofSeconds(30))
                .sendBufferSize(1 << 20).receiveBufferSize(1 << 20);
        assertThatThrownBy(() -> b.maxConnections(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max connections -1 must be 0 (no limit) or more");
        assertThatThrownBy(() -> b.maxConnectionsPerClient(-2)).hasMessageContaining("max connections per client -2");
        assertThatThrownBy(() -> b.maxConnectionRatePerClient(-3)).hasMessageContaining("rate per client -3");
        assertThatThrownBy(() -> b.idleTimeout(Duration.ofSeconds(-1))).hasMessageContaining("idle timeout PT-1S");
        assertThatThrownBy(() -> b.idleTimeout(null)).hasMessageContaining("idle timeout null");
        assertThatThrownBy(() -> b.halfClosedTimeout(Duration.ofMillis(-1))).hasMessageContaining("half-closed timeout");
        assertThatThrownBy(() -> b.sendBufferSize(-1)).hasMessageContaining("send buffer size -1");
        assertThatThrownBy(() -> b.receiveBufferSize(Integer.MAX_VALUE))
                .hasMessageContaining("receive buffer size " + Integer.MAX_VALUE);
    }

    @Test
    void accessListsAreParsedEagerly() {
        TcpProxy.builder().allow("10.0.0.0/8", "::1").deny("10.1.0.0/16").allow().deny();
        assertThatThrownBy(() -> TcpProxy.builder().allow("10.0.0.0/8", "10.0.0.0/40"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("allow: CIDR range '10.0.0.0/40'");
        assertThatThrownBy(() -> TcpProxy.builder().deny("localhost"))
                .hasMessageStartingWith("deny: CIDR range 'localhost'");
        assertThatThrownBy(() -> TcpProxy.builder().deny((String[]) null)).hasMessage("deny ranges must not be null");
    }

    @Test
    void proxyProtocolOptionsAreChecked() {
        TcpProxy.builder().sendProxyProtocol(ProxyProtocol.V2).acceptProxyProtocol(true)
                .proxyProtocolTimeout(Duration.ofMillis(500)).sendProxyProtocol(ProxyProtocol.OFF);
        assertThatThrownBy(() -> TcpProxy.builder().sendProxyProtocol(null))
                .hasMessage("PROXY protocol version must not be null; use OFF for none");
        assertThatThrownBy(() -> TcpProxy.builder().proxyProtocolTimeout(Duration.ZERO))
                .hasMessage("PROXY protocol timeout 0 must be positive");
        assertThatThrownBy(() -> TcpProxy.builder().connectionListener(null))
                .hasMessage("connection listener must not be null");
    }

    @Test
    void aNullBackendInTheArrayIsAnIllegalArgumentLikeInTheCollection() {
        assertThatThrownBy(() -> TcpProxy.builder().backends(Backend.of("127.0.0.1", 1), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("backend must not be null");
    }
}
