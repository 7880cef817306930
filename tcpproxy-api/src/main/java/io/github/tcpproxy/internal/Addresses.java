package io.github.tcpproxy.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Parses and formats {@code host:port} strings, IPv6 literals in brackets included. */
public final class Addresses {
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
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(what + " " + port + " is out of range 0-65535");
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
        checkPort(what + " port", port);
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

    /** Formats an address as {@code 127.0.0.1:8080} or {@code [::1]:8080}, never with a host name lookup. */
    public static String format(InetSocketAddress address) {
        if (address == null) {
            return "-";
        }
        InetAddress ip = address.getAddress();
        String host = ip == null ? address.getHostString() : ip.getHostAddress();
        if (host.indexOf(':') >= 0) {
            int zone = host.indexOf('%');
            return "[" + (zone >= 0 ? host.substring(0, zone) : host) + "]:" + address.getPort();
        }
        return host + ":" + address.getPort();
    }
}
