package io.github.tcpproxy;

import io.github.tcpproxy.internal.Addresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A range of IP addresses in CIDR notation, IPv4 ({@code 10.0.0.0/8}) or IPv6
 * ({@code fd00::/8}), for the client access lists {@link TcpProxy.Builder#allow(String...)} and
 * {@link TcpProxy.Builder#deny(String...)}. An address without a prefix length is the range of
 * that one address ({@code /32} or {@code /128}). Immutable and thread-safe.
 *
 * <p>An IPv4 range matches IPv4 clients only and an IPv6 range IPv6 clients only, with one
 * exception: an IPv4-mapped range such as {@code ::ffff:10.0.0.0/104} is read as the IPv4 range
 * {@code 10.0.0.0/8}, because the JDK reports clients of a dual-stack socket with such addresses
 * as IPv4 addresses.
 */
public final class CidrRange {
    /** Unambiguous IPv4 text only: anything else could make getByName look a name up. */
    private static final Pattern IPV4 = Pattern.compile(Addresses.IPV4_LITERAL);
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

    private final byte[] network;
    private final int prefixLength;

    private CidrRange(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * Parses {@code address/prefix-length} or a single address. Only IP literals are accepted,
     * never host names, so parsing never looks a name up.
     *
     * @throws IllegalArgumentException naming the text if it is not an IPv4 or IPv6 literal, the
     *     prefix length is out of range (0-32, 0-128) or the address has bits set beyond the
     *     prefix ({@code 10.0.0.1/8}: the message names {@code 10.0.0.0/8})
     */
    public static CidrRange parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("CIDR range must not be null");
        }
        String s = text.trim();
        int slash = s.indexOf('/');
        String addressText = slash < 0 ? s : s.substring(0, slash);
        boolean v6 = addressText.indexOf(':') >= 0;
        if (!(v6 ? IPV6.matcher(addressText).matches() : IPV4.matcher(addressText).matches())) {
            throw new IllegalArgumentException("CIDR range '" + text
                    + "' is not an IP address with an optional /prefix-length, such as 10.0.0.0/8 or fd00::/8");
        }
        InetAddress address;
        try {
            // A literal (checked above): getByName parses it without a name lookup.
            address = InetAddress.getByName(addressText);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("CIDR range '" + text + "' has an invalid IP address '"
                    + addressText + "'");
        }
        byte[] bytes = address.getAddress();
        int bits = bytes.length * 8;
        int mappedOffset = v6 && address instanceof Inet4Address ? 96 : 0;
        int prefix = bits + mappedOffset;
        if (slash >= 0) {
            String prefixText = s.substring(slash + 1);
            try {
                prefix = Integer.parseInt(prefixText);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("CIDR range '" + text + "' has a prefix length that is not a number: '"
                        + prefixText + "'");
            }
            if (prefix < mappedOffset || prefix > bits + mappedOffset) {
                throw new IllegalArgumentException("CIDR range '" + text + "' has prefix length " + prefix
                        + ", out of range " + mappedOffset + "-" + (bits + mappedOffset));
            }
        }
        prefix -= mappedOffset;
        byte[] masked = mask(bytes, prefix);
        if (!Arrays.equals(masked, bytes)) {
            CidrRange meant = new CidrRange(masked, prefix);
            throw new IllegalArgumentException("CIDR range '" + text + "' has address bits set beyond its /"
                    + (prefix + mappedOffset) + " prefix; did you mean " + meant + "?");
        }
        return new CidrRange(bytes, prefix);
    }

    /** Whether {@code address} is in this range; false for an address of the other IP version. */
    public boolean contains(InetAddress address) {
        if (address == null) {
            return false;
        }
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false;
        }
        int full = prefixLength >>> 3;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixLength & 7;
        if (rest == 0) {
            return true;
        }
        int m = (0xff << (8 - rest)) & 0xff;
        return (a[full] & m) == (network[full] & m);
    }

    /** The prefix length: 0-32 for IPv4, 0-128 for IPv6. */
    public int prefixLength() {
        return prefixLength;
    }

    /** Whether this is an IPv6 range. */
    public boolean isIpv6() {
        return network.length == 16;
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - 8 * i));
            out[i] = (byte) (out[i] & (0xff << (8 - keep)));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CidrRange other && prefixLength == other.prefixLength
                && Arrays.equals(network, other.network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefixLength;
    }

    /** The range as {@code 10.0.0.0/8} or {@code fd00::/8}. */
    @Override
    public String toString() {
        try {
            return Addresses.text(InetAddress.getByAddress(network)) + "/" + prefixLength;
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes", e);
        }
    }
}
