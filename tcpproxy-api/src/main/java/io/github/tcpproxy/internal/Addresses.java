package io.github.tcpproxy.internal;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** Parses and formats {@code host:port} strings, IPv6 literals in brackets included. */
public final class Addresses {
    /**
     * A regular expression for an IPv4 address in its one unambiguous form: four numbers of
     * 0-255 without leading zeros ("010" is 10 to Java but 8 to {@code inet_aton}, and a number
     * above 255 makes {@link InetAddress#getByName} look the text up as a host name).
     */
    public static final String IPV4_LITERAL =
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}";

    private Addresses() {
    }

    /**
     * Checks that {@code port} is a TCP port number.
     *
     * @param what names the value in the message, for example "listen port"
     * @return the port
     * @throws IllegalArgumentException if the port is outside 0-65535
     */
    public static int checkPort(String what, int port) {
        return checkPort(what, port, 0);
    }

    private static int checkPort(String what, int port, int min) {
        if (port < min || port > 65535) {
            throw new IllegalArgumentException(what + " " + port + " is out of range " + min + "-65535");
        }
        return port;
    }

    /**
     * Parses {@code host:port}, {@code [ipv6]:port}, {@code *:port} or {@code :port} (the last two
     * mean every local address) into a resolved address.
     *
     * @param what names the value in error messages, for example "listen address"
     * @throws IllegalArgumentException naming the text if it is malformed, the port is out of
     *     range or the host cannot be resolved
     */
    public static InetSocketAddress parse(String what, String text) {
        return parse(what, text, 0);
    }

    /**
     * Like {@link #parse(String, String)}, with ports below {@code minPort} rejected too (1 for an
     * address to connect to).
     */
    public static InetSocketAddress parse(String what, String text, int minPort) {
        if (text == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(
                    what + " '" + text + "' is not of the form host:port");
        }
        String host = s.substring(0, colon);
        String portText = s.substring(colon + 1);
        if (host.startsWith("[")) {
            if (!host.endsWith("]")) {
                throw new IllegalArgumentException(
                        what + " '" + text + "' has an unclosed '[' around its IPv6 address");
            }
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException(
                    what + " '" + text + "' must put an IPv6 address in brackets: [addr]:port");
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    what + " '" + text + "' has a port that is not a number: '" + portText + "'");
        }
        checkPort(what + " port", port, minPort);
        if (host.isEmpty() || host.equals("*")) {
            return new InetSocketAddress(port);
        }
        return resolve(what, host, port);
    }

    /**
     * Resolves {@code host} now, so that no name lookup ever happens on a reactor thread.
     *
     * @throws IllegalArgumentException naming the host if it cannot be resolved
     */
    public static InetSocketAddress resolve(String what, String host, int port) {
        checkPort(what + " port", port);
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException(what + " host must not be empty");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(
                    what + " host '" + host + "' cannot be resolved", e);
        }
    }

    /**
     * Formats an address as {@code 127.0.0.1:8080} or {@code [::1]:8080}, never with a host name
     * lookup; {@code -} for null.
     */
    public static String format(InetSocketAddress address) {
        if (address == null) {
            return "-";
        }
        InetAddress ip = address.getAddress();
        String host = ip == null ? address.getHostString() : text(ip);
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + address.getPort() : host + ":" + address.getPort();
    }

    /**
     * An IP address as text, IPv6 in its short form ({@code ::1}, {@code 2001:db8::7}, RFC 5952)
     * and without a scope ({@code %eth0}), where {@link InetAddress#getHostAddress()} writes
     * {@code 0:0:0:0:0:0:0:1}.
     */
    public static String text(InetAddress ip) {
        String full = ip.getHostAddress();
        int zone = full.indexOf('%');
        if (zone >= 0) {
            full = full.substring(0, zone);
        }
        if (full.indexOf(':') < 0) {
            return full;
        }
        String[] groups = full.split(":", -1);
        if (groups.length != 8) {
            return full; // not the JDK's eight-group form: leave it as it is
        }
        if (ip instanceof Inet6Address && isIpv4Mapped(ip.getAddress())) {
            byte[] b = ip.getAddress(); // RFC 5952, 5: the IPv4 part in dotted decimal
            return "::ffff:" + (b[12] & 0xFF) + "." + (b[13] & 0xFF) + "." + (b[14] & 0xFF) + "." + (b[15] & 0xFF);
        }
        // The longest run of two or more zero groups (the first of equal ones) becomes "::".
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (!groups[i].equals("0")) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j].equals("0")) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        if (bestStart < 0) {
            return full;
        }
        return String.join(":", Arrays.asList(groups).subList(0, bestStart)) + "::"
                + String.join(":", Arrays.asList(groups).subList(bestStart + bestLength, 8));
    }

    private static boolean isIpv4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xFF && b[11] == (byte) 0xFF;
    }
}
