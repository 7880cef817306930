package io.github.tcpproxy.examples.launcher;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the byte sizes people type on a command line or in a config file: a number of bytes
 * such as {@code 262144}, or a number with a binary unit, as in {@code -Xmx} and HAProxy's
 * {@code tune.bufsize}: {@code 256k}, {@code 64m}, {@code 1g}.
 *
 * <p>What is accepted, exactly: ASCII digits, then optionally a unit, in any case, with optional
 * spaces before it: {@code k}, {@code kb} or {@code kib} for 1024 bytes; {@code m}, {@code mb} or
 * {@code mib} for 1024<sup>2</sup>; {@code g}, {@code gb} or {@code gib} for 1024<sup>3</sup>.
 * Spaces around the whole text are ignored. Every unit is a power of 1024, {@code kb} and
 * {@code mb} included, as {@code -Xmx} reads them. No fractions ({@code 1.5g}), no signs, no
 * digit separators. Whether a size fits what the option takes (buffer size 1024-16777216, say)
 * is the builder's to check; only the range of the Java type is checked here, so that no size
 * wraps around.
 */
final class ByteSizes {
    /** How the messages describe a size. */
    static final String EXPECTED = "a size such as 262144, 256k or 1m";

    private static final Pattern SIZE = Pattern.compile("(-?)(\\d+)(?:\\s*([kmg])(?:i?b)?)?");

    private ByteSizes() {
    }

    /**
     * Parses {@code text} as a size up to {@link Long#MAX_VALUE} bytes.
     *
     * @param where names the value in the message, for example "proxy.yaml: max-buffer-memory",
     *     or null when the caller names it (picocli prefixes the option)
     * @throws IllegalArgumentException naming {@code where} and the text if it is not a size, is
     *     negative or is more than {@link Long#MAX_VALUE} bytes
     */
    static long parse(String where, String text) {
        return parse(where, text, Long.MAX_VALUE);
    }

    /**
     * Parses {@code text} as a size up to {@link Integer#MAX_VALUE} bytes, for the options that
     * take an {@code int}.
     *
     * @param where as for {@link #parse(String, String)}
     * @throws IllegalArgumentException naming {@code where} and the text if it is not a size, is
     *     negative or is more than {@link Integer#MAX_VALUE} bytes ({@code 2g} is one byte too many)
     */
    static int parseInt(String where, String text) {
        return (int) parse(where, text, Integer.MAX_VALUE);
    }

    private static long parse(String where, String text, long max) {
        String named = where == null ? "" : where + ": ";
        Matcher m = SIZE.matcher(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(named + "expected " + EXPECTED + ", found '"
                    + (text == null ? "" : text) + "'");
        }
        if (!m.group(1).isEmpty()) {
            throw new IllegalArgumentException(named + "size '" + text + "' is negative");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(Long.parseLong(m.group(2)), unit(m.group(3)));
        } catch (NumberFormatException | ArithmeticException e) {
            // The digits alone are too many for a long, or the product is: too large either way.
            throw tooLarge(named, text, max);
        }
        if (bytes > max) {
            throw tooLarge(named, text, max);
        }
        return bytes;
    }

    private static IllegalArgumentException tooLarge(String named, String text, long max) {
        return new IllegalArgumentException(named + "size '" + text + "' is too large; at most " + max + " bytes");
    }

    private static long unit(String letter) {
        if (letter == null) {
            return 1;
        }
        return switch (letter) {
            case "k" -> 1L << 10;
            case "m" -> 1L << 20;
            default -> 1L << 30; // "g": the pattern admits no other letter
        };
    }
}
