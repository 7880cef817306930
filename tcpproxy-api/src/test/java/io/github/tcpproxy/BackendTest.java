package io.github.tcpproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class BackendTest {

    @Test
    void ofResolvesAndDefaults() {
        Backend b = Backend.of("127.0.0.1", 8080);
        assertThat(b.address()).isEqualTo(new InetSocketAddress("127.0.0.1", 8080));
        assertThat(b.weight()).isEqualTo(1);
        assertThat(b.maxConnections()).isZero();
        assertThat(b.name()).isEqualTo("127.0.0.1:8080");
    }

    @Test
    void withersCopy() {
        Backend b = Backend.of("127.0.0.1", 8080);
        Backend c = b.withWeight(3).withMaxConnections(10);
        assertThat(b.weight()).isEqualTo(1);
        assertThat(c.weight()).isEqualTo(3);
        assertThat(c.maxConnections()).isEqualTo(10);
        assertThat(c).isEqualTo(Backend.parse(c.toString()));
        assertThat(b.withWeight(0).weight()).isZero();
    }

    @Test
    void parseReadsOptions() {
        Backend b = Backend.parse("127.0.0.1:8081,weight=2,max-conns=100");
        assertThat(b.address().getPort()).isEqualTo(8081);
        assertThat(b.weight()).isEqualTo(2);
        assertThat(b.maxConnections()).isEqualTo(100);
        assertThat(Backend.parse("[::1]:9000").name()).isEqualTo("[::1]:9000");
    }

    @Test
    void badInputNamesTheValue() {
        assertThatThrownBy(() -> Backend.of("127.0.0.1", 0)).hasMessage("backend port 0 is out of range 1-65535");
        assertThatThrownBy(() -> Backend.of("127.0.0.1", 65536)).hasMessageContaining("65536");
        assertThatThrownBy(() -> Backend.of("no-such-host.invalid", 80))
                .hasMessageContaining("'no-such-host.invalid'").hasMessageContaining("cannot be resolved");
        assertThatThrownBy(() -> Backend.of(null)).hasMessageContaining("null");
        assertThatThrownBy(() -> Backend.of(new InetSocketAddress(80))).hasMessageContaining("wildcard");
        assertThatThrownBy(() -> Backend.of("127.0.0.1", 80).withWeight(-1)).hasMessageContaining("weight -1");
        assertThatThrownBy(() -> Backend.of("127.0.0.1", 80).withMaxConnections(-2)).hasMessageContaining("-2");
        assertThatThrownBy(() -> Backend.parse("127.0.0.1:80,weight=x")).hasMessageContaining("weight 'x'");
        assertThatThrownBy(() -> Backend.parse("127.0.0.1:80,colour=red")).hasMessageContaining("'colour=red'");
        assertThatThrownBy(() -> Backend.parse("127.0.0.1")).hasMessageContaining("host:port");
        // The same range whichever port is wrong, and the message names the text given.
        assertThatThrownBy(() -> Backend.parse("127.0.0.1:0"))
                .hasMessage("backend '127.0.0.1:0': address port 0 is out of range 1-65535");
        assertThatThrownBy(() -> Backend.parse("[::1]:99999"))
                .hasMessage("backend '[::1]:99999': address port 99999 is out of range 1-65535");
    }

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
