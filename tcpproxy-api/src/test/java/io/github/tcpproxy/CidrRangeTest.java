package io.github.tcpproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class CidrRangeTest {

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal);
    }

    @Test
    void ipv4RangesMatchTheirAddressesOnly() throws Exception {
        CidrRange r = CidrRange.parse("10.1.0.0/16");
        assertThat(r.contains(ip("10.1.0.0"))).isTrue();
        assertThat(r.contains(ip("10.1.255.255"))).isTrue();
        assertThat(r.contains(ip("10.2.0.0"))).isFalse();
        assertThat(r.contains(ip("::ffff:10.1.2.3"))).as("IPv4-mapped, the JDK makes it IPv4").isTrue();
        assertThat(r.contains(ip("::1"))).isFalse();
        assertThat(r.contains(null)).isFalse();
        assertThat(r.toString()).isEqualTo("10.1.0.0/16");
        assertThat(r.isIpv6()).isFalse();
    }

    @Test
    void prefixesThatAreNotByteAligned() throws Exception {
        CidrRange r = CidrRange.parse("192.168.4.0/22");
        assertThat(r.contains(ip("192.168.7.255"))).isTrue();
        assertThat(r.contains(ip("192.168.8.0"))).isFalse();
        assertThat(r.contains(ip("192.168.3.255"))).isFalse();
        CidrRange v6 = CidrRange.parse("2001:db8:8000::/33");
        assertThat(v6.contains(ip("2001:db8:ffff::1"))).isTrue();
        assertThat(v6.contains(ip("2001:db8:7fff::1"))).isFalse();
    }

    @Test
    void singleAddressesAndTheWholeSpace() throws Exception {
        assertThat(CidrRange.parse("127.0.0.1").contains(ip("127.0.0.1"))).isTrue();
        assertThat(CidrRange.parse("127.0.0.1").contains(ip("127.0.0.2"))).isFalse();
        assertThat(CidrRange.parse("127.0.0.1").prefixLength()).isEqualTo(32);
        assertThat(CidrRange.parse("::1").prefixLength()).isEqualTo(128);
        assertThat(CidrRange.parse("::1").contains(ip("::1"))).isTrue();
        assertThat(CidrRange.parse("0.0.0.0/0").contains(ip("203.0.113.9"))).isTrue();
        assertThat(CidrRange.parse("0.0.0.0/0").contains(ip("2001:db8::1"))).isFalse();
        assertThat(CidrRange.parse("::/0").contains(ip("2001:db8::1"))).isTrue();
        assertThat(CidrRange.parse(" fd00::/8 ").contains(ip("fdff::1"))).isTrue();
        assertThat(CidrRange.parse("fd00::/8")).hasToString("fd00::/8");
        assertThat(CidrRange.parse("2001:db8::1")).hasToString("2001:db8::1/128");
    }

    @Test
    void ipv4MappedRangesAreIpv4Ranges() throws Exception {
        CidrRange r = CidrRange.parse("::ffff:10.0.0.0/104");
        assertThat(r).isEqualTo(CidrRange.parse("10.0.0.0/8"));
        assertThat(r.contains(ip("10.9.9.9"))).isTrue();
        assertThatThrownBy(() -> CidrRange.parse("::ffff:10.0.0.0/8"))
                .hasMessageContaining("prefix length 8, out of range 96-128");
    }

    @Test
    void badTextIsNamed() {
        assertThatThrownBy(() -> CidrRange.parse("10.0.0.1/8"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("CIDR range '10.0.0.1/8' has address bits set beyond its /8 prefix; did you mean 10.0.0.0/8?");
        assertThatThrownBy(() -> CidrRange.parse("10.0.0.0/33")).hasMessageContaining("out of range 0-32");
        assertThatThrownBy(() -> CidrRange.parse("::/129")).hasMessageContaining("out of range 0-128");
        assertThatThrownBy(() -> CidrRange.parse("10.0.0.0/-1")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> CidrRange.parse("10.0.0.0/x")).hasMessageContaining("not a number: 'x'");
        assertThatThrownBy(() -> CidrRange.parse("example.com/8")).hasMessageContaining("'example.com/8' is not an IP");
        assertThatThrownBy(() -> CidrRange.parse("300.0.0.0/8")).hasMessageContaining("'300.0.0.0/8' is not an IP");
        assertThatThrownBy(() -> CidrRange.parse("1.2.3/8")).hasMessageContaining("is not an IP");
        assertThatThrownBy(() -> CidrRange.parse("1::2::3")).hasMessageContaining("invalid IP address");
        assertThatThrownBy(() -> CidrRange.parse("")).hasMessageContaining("is not an IP");
        assertThatThrownBy(() -> CidrRange.parse(null)).hasMessage("CIDR range must not be null");
    }

    /** "999.1.1.1" passed the old pattern and went to the name resolver, which the class promises never to ask. */
    @Test
    void numbersAbove255AreRejectedBeforeAnyNameLookup() {
        for (String bad : new String[] {"999.1.1.1", "256.0.0.0/8", "10.0.0.300", "010.1.2.3"}) {
            assertThatThrownBy(() -> CidrRange.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not an IP address with an optional /prefix-length");
        }
        assertThat(CidrRange.parse("255.255.255.0/24")).hasToString("255.255.255.0/24");
        assertThat(CidrRange.parse("0.0.0.0/0")).hasToString("0.0.0.0/0");
    }
}
