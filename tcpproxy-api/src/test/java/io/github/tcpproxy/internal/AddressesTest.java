package io.github.tcpproxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressesTest {

    /** IPv6 in the short form of RFC 5952, section 4.2: the longest run of zero groups, the first of equal ones, never one group. */
    @ParameterizedTest
    @CsvSource({
            "::1, ::1",
            "::, ::",
            "0:0:0:0:0:0:0:1, ::1",
            "fe80:0:0:0:0:0:0:0, fe80::",
            "2001:db8:0:0:0:0:2:1, 2001:db8::2:1",
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
            "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
            "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
            "FD00:0:0:0:0:0:0:0, fd00::",
            "10.0.0.1, 10.0.0.1",
    })
    void textGivesTheShortForm(String literal, String expected) throws Exception {
        assertThat(Addresses.text(InetAddress.getByName(literal))).isEqualTo(expected);
    }

    @Test
    void textWritesAnIpv4MappedAddressWithItsIpv4PartDotted() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        mapped[12] = 10;
        mapped[15] = 7;
        // getByAddress would turn it into an Inet4Address; the PROXY protocol writer builds one directly.
        assertThat(Addresses.text(Inet6Address.getByAddress(null, mapped, -1))).isEqualTo("::ffff:10.0.0.7");
    }

    @Test
    void textLeavesTheScopeOut() throws Exception {
        InetAddress scoped = Inet6Address.getByAddress(null, InetAddress.getByName("fe80::1").getAddress(), 3);
        assertThat(scoped.getHostAddress()).isEqualTo("fe80:0:0:0:0:0:0:1%3");
        assertThat(Addresses.text(scoped)).isEqualTo("fe80::1");
    }

    @Test
    void formatBracketsIpv6AndNeverLooksANameUp() {
        assertThat(Addresses.format(new InetSocketAddress("::1", 8080))).isEqualTo("[::1]:8080");
        assertThat(Addresses.format(new InetSocketAddress("127.0.0.1", 9090))).isEqualTo("127.0.0.1:9090");
        assertThat(Addresses.format(InetSocketAddress.createUnresolved("example.com", 80))).isEqualTo("example.com:80");
        assertThat(Addresses.format(null)).isEqualTo("-");
    }
}
