package io.github.tcpproxy.nio;

import io.github.tcpproxy.internal.Addresses;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The HAProxy PROXY protocol header, versions 1 (text) and 2 (binary), as specified in HAProxy's
 * {@code doc/proxy-protocol.txt}: {@link #parse} reads one strictly, {@link #write} writes one.
 * Pure code, no I/O.
 *
 * <p>Parsing is incremental: give it what has arrived so far; it answers "need more", a complete
 * header with its length, or throws {@link Malformed} as soon as the bytes cannot be the start of
 * a valid header, so a client sending garbage is rejected at its first wrong byte, and one
 * sending an endless header at the size bound ({@value #MAX_V1} bytes for v1,
 * {@value #MAX_V2} for v2, addresses and TLVs included).
 */
final class ProxyHeader {
    /** The longest v1 header the specification allows, CRLF included. */
    static final int MAX_V1 = 107;
    /** The longest v2 header accepted: the 16-byte fixed part and up to 1024 bytes of addresses and TLVs. */
    static final int MAX_V2 = 16 + 1024;
    /** Bytes to read at most before a header is known to be complete. */
    static final int MAX = Math.max(MAX_V1, MAX_V2);

    private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_SIGNATURE = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final Pattern IPV4 = Pattern.compile(Addresses.IPV4_LITERAL);
    /**
     * Groups of at most 4 hex digits (the specification's form; the JDK would take more, and
     * leading zeros in an IPv4 tail), so starting with a hex digit or ':', which is what makes
     * InetAddress.getByName read a literal; it then checks the rest (one "::", group count).
     */
    private static final Pattern IPV6 = Pattern.compile("([0-9A-Fa-f]{0,4}:){2,8}([0-9A-Fa-f]{0,4}|" + Addresses.IPV4_LITERAL + ")");
    private static final Pattern PORT = Pattern.compile("0|[1-9]\\d{0,4}");

    /** A header that breaks the specification; the message says how. */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * A complete header.
     *
     * @param length its length in bytes: the client's own data starts after it
     * @param version 1 or 2
     * @param source the original client, or null when the header gives none (v1 UNKNOWN, v2
     *     LOCAL or an address family other than IPv4/IPv6): use the connection's own address
     * @param destination the address the original client connected to, or null with source
     */
    record Parsed(int length, int version, InetSocketAddress source, InetSocketAddress destination) {
    }

    private ProxyHeader() {
    }

    /**
     * Parses the header at the start of {@code data[0..len)}.
     *
     * @return the header, or null if it is valid so far and more bytes are needed
     * @throws Malformed if the bytes are not a valid header or it exceeds the size bound
     */
    static Parsed parse(byte[] data, int len) throws Malformed {
        if (len == 0) {
            return null;
        }
        if (data[0] == 'P') {
            return parseV1(data, len);
        }
        if (data[0] == 0x0D) {
            return parseV2(data, len);
        }
        throw new Malformed("no PROXY protocol header: the first byte is " + describe(data[0]));
    }

    private static Parsed parseV1(byte[] data, int len) throws Malformed {
        int prefix = Math.min(len, V1_PREFIX.length);
        for (int i = 0; i < prefix; i++) {
            if (data[i] != V1_PREFIX[i]) {
                throw new Malformed("no PROXY protocol header: it does not start with \"PROXY \"");
            }
        }
        int end = -1;
        for (int i = 0; i < Math.min(len, MAX_V1); i++) {
            byte b = data[i];
            if (b == '\n') {
                if (i == 0 || data[i - 1] != '\r') {
                    throw new Malformed("v1 header has a line feed without a carriage return before it");
                }
                end = i + 1;
                break;
            }
            if (b == '\r' && i + 1 < len && data[i + 1] != '\n') {
                throw new Malformed("v1 header has a carriage return not followed by a line feed");
            }
            if ((b < 0x20 || b > 0x7E) && b != '\r') {
                throw new Malformed("v1 header holds the byte " + describe(b) + ", not printable ASCII");
            }
        }
        if (end < 0) {
            if (len >= MAX_V1) {
                throw new Malformed("v1 header has no CRLF within " + MAX_V1 + " bytes");
            }
            return null;
        }
        String line = new String(data, 0, end - 2, StandardCharsets.US_ASCII);
        String[] f = line.split(" ", -1);
        if (f.length >= 2 && f[1].equals("UNKNOWN")) {
            // The receiver must ignore what follows UNKNOWN and use the connection's own addresses.
            return new Parsed(end, 1, null, null);
        }
        if (f.length != 6) {
            throw new Malformed("v1 header '" + line + "' does not have 6 fields separated by single spaces");
        }
        boolean v4;
        if (f[1].equals("TCP4")) {
            v4 = true;
        } else if (f[1].equals("TCP6")) {
            v4 = false;
        } else {
            throw new Malformed("v1 header has protocol '" + f[1] + "'; expected TCP4, TCP6 or UNKNOWN");
        }
        InetAddress src = v1Address(f[2], v4, "source");
        InetAddress dst = v1Address(f[3], v4, "destination");
        int sport = v1Port(f[4], "source");
        int dport = v1Port(f[5], "destination");
        return new Parsed(end, 1, new InetSocketAddress(src, sport), new InetSocketAddress(dst, dport));
    }

    private static InetAddress v1Address(String text, boolean v4, String what) throws Malformed {
        if (!(v4 ? IPV4 : IPV6).matcher(text).matches()) {
            throw new Malformed("v1 header has " + what + " address '" + text + "', not an " + (v4 ? "IPv4" : "IPv6")
                    + " address");
        }
        try {
            // No name lookup (it would block the reactor on DNS): getByName reads text that starts
            // with a hex digit or ':' as a literal, and fails if it is not one; the patterns above
            // let nothing else through.
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new Malformed("v1 header has " + what + " address '" + text + "', not a valid address");
        }
    }

    private static int v1Port(String text, String what) throws Malformed {
        if (!PORT.matcher(text).matches() || Integer.parseInt(text) > 65535) {
            throw new Malformed("v1 header has " + what + " port '" + text + "', not a number in 0-65535");
        }
        return Integer.parseInt(text);
    }

    private static Parsed parseV2(byte[] data, int len) throws Malformed {
        int sig = Math.min(len, V2_SIGNATURE.length);
        for (int i = 0; i < sig; i++) {
            if (data[i] != V2_SIGNATURE[i]) {
                throw new Malformed("no PROXY protocol header: byte " + i + " of the v2 signature is "
                        + describe(data[i]));
            }
        }
        if (len <= 12) {
            return null;
        }
        int verCmd = data[12] & 0xFF;
        if ((verCmd & 0xF0) != 0x20) {
            throw new Malformed("v2 header has version " + (verCmd >>> 4) + ", expected 2");
        }
        int command = verCmd & 0x0F;
        if (command > 1) {
            throw new Malformed("v2 header has command " + command + ", expected 0 (LOCAL) or 1 (PROXY)");
        }
        if (len <= 13) {
            return null;
        }
        int fam = data[13] & 0xFF;
        int family = fam >>> 4;
        int transport = fam & 0x0F;
        // LOCAL (a health check from the proxy itself): the specification says to discard the
        // address block, family byte included, and use the connection's own addresses.
        boolean local = command == 0;
        if (!local && (family > 3 || transport > 2)) {
            throw new Malformed("v2 header has address family and protocol byte 0x"
                    + Integer.toHexString(fam) + ", not one the specification defines");
        }
        if (len < 16) {
            return null;
        }
        int addrLen = ((data[14] & 0xFF) << 8) | (data[15] & 0xFF);
        int total = 16 + addrLen;
        if (total > MAX_V2) {
            throw new Malformed("v2 header of " + total + " bytes is longer than the " + MAX_V2 + " accepted");
        }
        if (len < total) {
            return null;
        }
        if (local) {
            return new Parsed(total, 2, null, null);
        }
        int needed = switch (family) {
            case 1 -> 12;
            case 2 -> 36;
            case 3 -> 216;
            default -> 0;
        };
        if (addrLen < needed) {
            throw new Malformed("v2 header's address block of " + addrLen + " bytes is too short for its family ("
                    + needed + " bytes)");
        }
        checkTlvs(data, 16 + needed, total);
        if (transport != 1 || (family != 1 && family != 2)) {
            // UNSPEC, UNIX or datagram: the specification says to use the connection's own addresses.
            return new Parsed(total, 2, null, null);
        }
        int a = family == 1 ? 4 : 16;
        InetAddress src = address(data, 16, a);
        InetAddress dst = address(data, 16 + a, a);
        int sport = ((data[16 + 2 * a] & 0xFF) << 8) | (data[17 + 2 * a] & 0xFF);
        int dport = ((data[18 + 2 * a] & 0xFF) << 8) | (data[19 + 2 * a] & 0xFF);
        return new Parsed(total, 2, new InetSocketAddress(src, sport), new InetSocketAddress(dst, dport));
    }

    /** The TLVs after the addresses must fill the rest of the header exactly. */
    private static void checkTlvs(byte[] data, int from, int to) throws Malformed {
        int i = from;
        while (i < to) {
            if (to - i < 3) {
                throw new Malformed("v2 header ends inside a TLV's type and length");
            }
            int length = ((data[i + 1] & 0xFF) << 8) | (data[i + 2] & 0xFF);
            i += 3 + length;
            if (i > to) {
                throw new Malformed("v2 header has a TLV of " + length + " bytes running past its end");
            }
        }
    }

    private static InetAddress address(byte[] data, int at, int length) {
        byte[] raw = new byte[length];
        System.arraycopy(data, at, raw, 0, length);
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes", e);
        }
    }

    /**
     * The header of a connection the proxy makes on its own behalf, such as a health check: v1
     * {@code PROXY UNKNOWN}, v2 LOCAL (no addresses). A receiver uses the connection's own
     * addresses for it, as the specification says for health checks.
     *
     * @param version 1 or 2
     */
    static byte[] local(int version) {
        if (version == 1) {
            return "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);
        }
        byte[] header = Arrays.copyOf(V2_SIGNATURE, 16);
        header[12] = 0x20; // version 2, LOCAL; then family UNSPEC and length 0
        return header;
    }

    /**
     * Writes a PROXY command header for a connection from {@code source} to {@code destination}
     * into {@code out}. When one address is IPv4 and the other IPv6, the IPv4 one is written as
     * IPv4-mapped IPv6.
     *
     * @param version 1 or 2
     * @throws java.nio.BufferOverflowException if {@code out} has less than 108 bytes left
     */
    static void write(int version, InetSocketAddress source, InetSocketAddress destination, ByteBuffer out) {
        InetAddress src = source.getAddress();
        InetAddress dst = destination.getAddress();
        boolean v4 = src instanceof Inet4Address && dst instanceof Inet4Address;
        if (!v4) {
            src = asIpv6(src);
            dst = asIpv6(dst);
        }
        if (version == 1) {
            String line = "PROXY " + (v4 ? "TCP4 " : "TCP6 ") + Addresses.text(src) + " " + Addresses.text(dst) + " "
                    + source.getPort() + " " + destination.getPort() + "\r\n";
            out.put(line.getBytes(StandardCharsets.US_ASCII));
            return;
        }
        out.put(V2_SIGNATURE);
        out.put((byte) 0x21); // version 2, PROXY
        out.put((byte) (v4 ? 0x11 : 0x21)); // INET or INET6, STREAM
        out.putShort((short) (v4 ? 12 : 36));
        out.put(src.getAddress());
        out.put(dst.getAddress());
        out.putShort((short) source.getPort());
        out.putShort((short) destination.getPort());
    }

    private static InetAddress asIpv6(InetAddress a) {
        if (a instanceof Inet6Address) {
            return a;
        }
        byte[] v4 = a.getAddress();
        byte[] v6 = new byte[16];
        v6[10] = (byte) 0xFF;
        v6[11] = (byte) 0xFF;
        System.arraycopy(v4, 0, v6, 12, 4);
        try {
            // getByAddress would turn a mapped address back into IPv4: build the Inet6Address directly.
            return Inet6Address.getByAddress(null, v6, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes", e);
        }
    }

    private static String describe(byte b) {
        int v = b & 0xFF;
        return v >= 0x20 && v < 0x7F ? "'" + (char) v + "' (0x" + Integer.toHexString(v) + ")" : "0x" + Integer.toHexString(v);
    }
}
