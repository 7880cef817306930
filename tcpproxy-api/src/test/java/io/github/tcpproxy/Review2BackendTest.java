package io.github.tcpproxy;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Review 2: Backend validation. */
class Review2BackendTest {

    /**
     * Backend.parse("0.0.0.0:8080") and Backend.of(InetSocketAddress) reject a wildcard address
     * ("name the host to connect to"), but Backend.of(host, port), and so
     * TcpProxy.Builder#backend(host, port), accept it: the proxy starts and then connects to
     * "0.0.0.0", which Linux takes as this host and other systems refuse.
     */
    @Test
    void ofHostAndPortRejectsAWildcardAddressAsParseDoes() {
        assertThatThrownBy(() -> Backend.parse("0.0.0.0:8080")).hasMessageContaining("wildcard");
        assertThatThrownBy(() -> Backend.of("0.0.0.0", 8080)).as("Backend.of(\"0.0.0.0\", 8080)")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wildcard");
    }
}
