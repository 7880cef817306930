package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Review: the PROXY protocol parser against HAProxy's proxy-protocol.txt. */
@Timeout(60)
class ReviewProxyHeaderTest {

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
