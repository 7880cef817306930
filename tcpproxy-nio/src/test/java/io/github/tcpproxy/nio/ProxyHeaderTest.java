package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The PROXY protocol parser and writer, against the examples of HAProxy's proxy-protocol.txt. */
class ProxyHeaderTest {
    private static final String FFFF6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static ProxyHeader.Parsed parse(byte[] b) throws ProxyHeader.Malformed {
        return ProxyHeader.parse(b, b.length);
    }

    private static InetSocketAddress at(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    @Test
    void v1ExamplesFromTheSpecification() throws Exception {
        ProxyHeader.Parsed p = parse(ascii("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"));
        assertThat(p.length()).isEqualTo(56);
        assertThat(p.version()).isEqualTo(1);
        assertThat(p.source()).isEqualTo(at("255.255.255.255", 65535));

        String tcp6 = "PROXY TCP6 " + FFFF6 + " " + FFFF6 + " 65535 65535\r\n";
        assertThat(tcp6).hasSize(104);
        assertThat(parse(ascii(tcp6)).destination()).isEqualTo(at(FFFF6, 65535));

        assertThat(parse(ascii("PROXY UNKNOWN\r\n"))).isEqualTo(new ProxyHeader.Parsed(15, 1, null, null));
        String longest = "PROXY UNKNOWN " + FFFF6 + " " + FFFF6 + " 65535 65535\r\n";
        assertThat(longest).hasSize(ProxyHeader.MAX_V1);
        assertThat(parse(ascii(longest)).length()).isEqualTo(107);

        byte[] withData = ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n");
        ProxyHeader.Parsed h = parse(withData);
        assertThat(h.length()).isEqualTo(47);
        assertThat(h.source()).isEqualTo(at("192.168.0.1", 56324));
        assertThat(h.destination()).isEqualTo(at("192.168.0.11", 443));
    }

    @Test
    void theProxysOwnHeadersAreUnknownAndLocalAsTheSpecificationWritesThem() throws Exception {
        assertThat(ProxyHeader.local(1)).isEqualTo(ascii("PROXY UNKNOWN\r\n"));
        assertThat(HexFormat.of().formatHex(ProxyHeader.local(2)))
                .isEqualTo("0d0a0d0a000d0a515549540a" + "20" + "00" + "0000");
        assertThat(parse(ProxyHeader.local(1))).isEqualTo(new ProxyHeader.Parsed(15, 1, null, null));
        assertThat(parse(ProxyHeader.local(2))).isEqualTo(new ProxyHeader.Parsed(16, 2, null, null));
    }

    @Test
    void v2ExamplesInTheSpecificationsFormat() throws Exception {
        // As HAProxy sends it: PROXY, TCP over IPv4, 172.19.0.1:42578 -> 172.19.0.3:80, then data.
        byte[] v4 = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "21" + "11" + "000c"
                + "ac130001" + "ac130003" + "a652" + "0050" + "474554");
        ProxyHeader.Parsed p = parse(v4);
        assertThat(p).isEqualTo(new ProxyHeader.Parsed(28, 2, at("172.19.0.1", 42578), at("172.19.0.3", 80)));

        byte[] v6 = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "21" + "21" + "0024"
                + "20010db8000000000000000000000001" + "20010db8000000000000000000000002" + "1f90" + "01bb");
        assertThat(parse(v6)).isEqualTo(new ProxyHeader.Parsed(52, 2, at("2001:db8::1", 8080), at("2001:db8::2", 443)));

        // LOCAL (a health check of the sender itself): the connection's own addresses apply.
        byte[] local = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "20" + "00" + "0000");
        assertThat(parse(local)).isEqualTo(new ProxyHeader.Parsed(16, 2, null, null));

        // TLVs after the addresses (a PP2_TYPE_NOOP and a PP2_TYPE_AUTHORITY) are skipped.
        byte[] tlvs = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "21" + "11" + "0017"
                + "0a000001" + "0a000002" + "0001" + "0002" + "04" + "0002" + "0000" + "02" + "0003" + "616263");
        assertThat(parse(tlvs).length()).isEqualTo(16 + 23);
        assertThat(parse(tlvs).source()).isEqualTo(at("10.0.0.1", 1));

        // AF_UNIX: no IP addresses to report; the connection's own apply.
        byte[] unix = new byte[16 + 216];
        System.arraycopy(v4, 0, unix, 0, 12);
        unix[12] = 0x21;
        unix[13] = 0x31;
        unix[14] = 0;
        unix[15] = (byte) 216;
        assertThat(parse(unix)).isEqualTo(new ProxyHeader.Parsed(232, 2, null, null));
    }

    @Test
    void incompleteHeadersAskForMoreAtEveryLength() throws Exception {
        byte[][] headers = {
            ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
            HexFormat.of().parseHex("0d0a0d0a000d0a515549540a2111000cac130001ac130003a6520050"),
        };
        for (byte[] h : headers) {
            for (int n = 0; n < h.length; n++) {
                assertThat(ProxyHeader.parse(Arrays.copyOf(h, n), n)).as("%d of %d bytes", n, h.length).isNull();
            }
            assertThat(ProxyHeader.parse(h, h.length).length()).isEqualTo(h.length);
        }
    }

    /**
     * Spec 2.1: IPv6 addresses as series of 4 hex digits; the JDK's parser alone took groups of
     * five or more digits and leading zeros in an IPv4 tail.
     */
    @Test
    void ipv6TextOutsideTheSpecifiedFormIsRejected() throws Exception {
        assertMalformed(ascii("PROXY TCP6 00000::1 ::1 1 2\r\n"), "source address '00000::1', not an IPv6 address");
        assertMalformed(ascii("PROXY TCP6 000000000::1 ::1 1 2\r\n"), "not an IPv6 address");
        assertMalformed(ascii("PROXY TCP6 ::ffff:01.2.3.4 ::1 1 2\r\n"), "not an IPv6 address");
        assertMalformed(ascii("PROXY TCP6 ::1 ::ffff:1.2.3.04 1 2\r\n"), "destination address '::ffff:1.2.3.04'");
        assertMalformed(ascii("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n"), "not");
        assertMalformed(ascii("PROXY TCP6 1::2::3 ::1 1 2\r\n"), "not a valid address");
        assertMalformed(ascii("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"), "not an IPv6 address");
        for (String ok : new String[] {"::1", "::", "2001:db8::1", "2001:DB8:0:0:0:0:0:1", "1:2:3:4:5:6:7::",
                "::ffff:192.0.2.7", "0000:0000:0000:0000:0000:0000:0000:0001"}) {
            byte[] header = ascii("PROXY TCP6 " + ok + " ::1 1 2\r\n");
            assertThat(ProxyHeader.parse(header, header.length)).as(ok).isNotNull();
        }
    }

    @Test
    void garbageIsRejectedAtTheFirstWrongByte() {
        assertMalformed(ascii("GET / HTTP/1.1\r\n"), "first byte is 'G'");
        assertMalformed(ascii("PROXZ"), "does not start with \"PROXY \"");
        assertMalformed(ascii("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"), "protocol 'TCP5'");
        assertMalformed(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"), "6 fields");
        assertMalformed(ascii("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"), "6 fields");
        assertMalformed(ascii("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"), "source address '1.2.3.256'");
        assertMalformed(ascii("PROXY TCP4 ::1 5.6.7.8 1 2\r\n"), "not an IPv4 address");
        assertMalformed(ascii("PROXY TCP6 1.2.3.4 ::1 1 2\r\n"), "not an IPv6 address");
        assertMalformed(ascii("PROXY TCP6 example.com ::1 1 2\r\n"), "not an IPv6 address");
        assertMalformed(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"), "source port '65536'");
        assertMalformed(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n"), "destination port '-2'");
        assertMalformed(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), "line feed without a carriage return");
        assertMalformed(ascii("PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n"), "carriage return not followed");
        assertMalformed(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\0\r\n"), "not printable");
        assertMalformed(ascii("PROXY " + "A".repeat(101) + "\r\n"), "no CRLF within 107 bytes");
        assertMalformed(HexFormat.of().parseHex("0d0a0d0a000d0a5155495400"), "byte 11 of the v2 signature");
        assertMalformed(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a11"), "version 1, expected 2");
        assertMalformed(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a221100"), "command 2");
        assertMalformed(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a21410000"), "0x41");
        assertMalformed(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a21110800"), "2064 bytes is longer");
        assertMalformed(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a21110008" + "0a0000010a000002"),
                "too short for its family");
        assertMalformed(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a2111000e" + "0a0000010a000002000100020400"),
                "ends inside a TLV");
        assertMalformed(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a2111000f" + "0a0000010a00000200010002040005"),
                "running past its end");
    }

    @Test
    void randomBytesNeverFailOtherwiseThanMalformed() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[random.nextInt(120)];
            random.nextBytes(b);
            if (i % 3 == 0 && b.length > 12) {
                System.arraycopy(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a"), 0, b, 0, 12);
            } else if (i % 3 == 1 && b.length > 6) {
                System.arraycopy(ascii("PROXY "), 0, b, 0, 6);
            }
            try {
                ProxyHeader.Parsed p = ProxyHeader.parse(b, b.length);
                if (p != null) {
                    assertThat(p.length()).isBetween(15, b.length);
                }
            } catch (ProxyHeader.Malformed expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
    }

    @Test
    void writtenHeadersParseBackToTheSameAddresses() throws Exception {
        InetSocketAddress[][] pairs = {
            {at("192.0.2.1", 50000), at("198.51.100.2", 443)},
            {at("2001:db8::1", 1), at("2001:db8::2", 65535)},
            {at("192.0.2.1", 50000), at("2001:db8::2", 80)},
        };
        for (int version = 1; version <= 2; version++) {
            for (InetSocketAddress[] pair : pairs) {
                ByteBuffer out = ByteBuffer.allocate(ProxyHeader.MAX_V1);
                ProxyHeader.write(version, pair[0], pair[1], out);
                byte[] bytes = Arrays.copyOf(out.array(), out.position());
                ProxyHeader.Parsed p = parse(bytes);
                assertThat(p.version()).isEqualTo(version);
                assertThat(p.length()).isEqualTo(bytes.length);
                assertThat(p.source()).isEqualTo(pair[0]);
                assertThat(p.destination().getPort()).isEqualTo(pair[1].getPort());
            }
        }
        ByteBuffer out = ByteBuffer.allocate(ProxyHeader.MAX_V1);
        ProxyHeader.write(1, at("192.168.0.1", 56324), at("192.168.0.11", 443), out);
        assertThat(new String(out.array(), 0, out.position(), StandardCharsets.US_ASCII))
                .isEqualTo("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
        out.clear();
        // IPv6 in its short form, as HAProxy writes it; an IPv4 side as IPv4-mapped IPv6.
        ProxyHeader.write(1, at("2001:db8::1", 56324), at("192.0.2.7", 443), out);
        assertThat(new String(out.array(), 0, out.position(), StandardCharsets.US_ASCII))
                .isEqualTo("PROXY TCP6 2001:db8::1 ::ffff:192.0.2.7 56324 443\r\n");
        out.clear();
        ProxyHeader.write(2, at("172.19.0.1", 42578), at("172.19.0.3", 80), out);
        assertThat(HexFormat.of().formatHex(out.array(), 0, out.position()))
                .isEqualTo("0d0a0d0a000d0a515549540a2111000cac130001ac130003a6520050");
    }

    private static void assertMalformed(byte[] b, String message) {
        assertThatThrownBy(() -> ProxyHeader.parse(b, b.length))
                .isInstanceOf(ProxyHeader.Malformed.class)
                .hasMessageContaining(message);
    }

    /**
     * proxy-protocol.txt, 2.2, LOCAL: "The receiver must accept this connection as valid and must
     * use the real connection endpoints and discard the protocol block including the family
     * (which is ignored)". A LOCAL header whose family byte says TCP over IPv4 but whose block is
     * empty is valid; ProxyHeader.parseV2 rejects it because the block is shorter than the
     * family's addresses.
     */
    @Test
    void localCommandIgnoresTheFamilyAndItsAddressLength() {
        byte[] local = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "20" + "11" + "0000");
        assertThatCode(() -> assertThat(ProxyHeader.parse(local, local.length))
                .isEqualTo(new ProxyHeader.Parsed(16, 2, null, null)))
                .as("v2 LOCAL header with family byte 0x11 and an empty address block")
                .doesNotThrowAnyException();
    }

    /**
     * ProxyHeader.v1Address says "A literal (checked above): no name lookup", but the IPv6 check
     * lets through text that InetAddress.getByName does not take for a literal (one starting with
     * '.'), and that text is then looked up as a host name (a blocking DNS query on the reactor
     * thread). Shown in a child JVM whose resolver is a hosts file that maps the name ".::7" to
     * 192.0.2.7: the "TCP6 source address" comes back as that IPv4 address.
     */
    @Test
    void v1Tcp6AddressIsNeverResolvedAsAHostName(@TempDir Path dir) throws Exception {
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "192.0.2.7 .::7\n", StandardCharsets.US_ASCII);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-Djdk.net.hosts.file=" + hosts,
                "-cp", System.getProperty("java.class.path"), ProxyHeaderLookupChild.class.getName(),
                "PROXY TCP6 .::7 ::1 1 2")
                .redirectErrorStream(true)
                .start();
        String out;
        try {
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child ended").isTrue();
            out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        } finally {
            child.destroyForcibly();
        }
        assertThat(out).as("parse of \"PROXY TCP6 .::7 ::1 1 2\\r\\n\" with a resolver that knows the name .::7")
                .startsWith("MALFORMED");
    }

    /** Child JVM of {@link #v1Tcp6AddressIsNeverResolvedAsAHostName}: parses its argument plus CRLF. */
    static final class ProxyHeaderLookupChild {
        private ProxyHeaderLookupChild() {
        }

        public static void main(String[] args) throws IOException {
            byte[] b = (args[0] + "\r\n").getBytes(StandardCharsets.US_ASCII);
            try {
                System.out.println("PARSED " + ProxyHeader.parse(b, b.length));
            } catch (ProxyHeader.Malformed e) {
                System.out.println("MALFORMED " + e.getMessage());
            }
        }
    }
}
