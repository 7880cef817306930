package io.github.tcpproxy.examples.launcher;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the durations people type on a command line or in a config file: {@code 500ms},
 * {@code 2s}, {@code 1m}, {@code 1h}, {@code 0}, or ISO-8601 such as {@code PT2S}.
 */
final class Durations {
    private static final Pattern SHORT = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h)");

    private Durations() {
    }

    /**
     * Parses {@code text}.
     *
     * @param what names the value in the message, for example "proxy.yaml: connect-timeout",
     *     or null when the caller names it (picocli prefixes the option)
     * @throws IllegalArgumentException naming {@code what} and the text if it is not a duration
     */
    static Duration parse(String what, String text) {
        String named = what == null ? "" : what + " ";
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(named + "'' is not a duration; use e.g. 500ms, 2s, 1m or PT2S");
        }
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("0")) {
            // The one number that needs no unit; any other bare number is ambiguous (ms? s?).
            return Duration.ZERO;
        }
        Matcher m = SHORT.matcher(s);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms":
                    return Duration.ofMillis(n);
                case "s":
                    return Duration.ofSeconds(n);
                case "m":
                    return Duration.ofMinutes(n);
                default:
                    return Duration.ofHours(n);
            }
        }
        if (s.startsWith("p")) {
            try {
                Duration d = Duration.parse(s.toUpperCase(Locale.ROOT));
                if (!d.isNegative()) {
                    return d;
                }
            } catch (DateTimeParseException e) {
                // Fall through to the one message below: the JDK's text does not name the option.
            }
        }
        throw new IllegalArgumentException(named + "'" + text + "' is not a duration"
                + (s.matches("\\d+") ? " (it has no unit)" : "") + "; use e.g. 500ms, 2s, 1m or PT2S");
    }

    /**
     * Formats a duration the way {@link #parse} reads it, for messages: {@code 10s}, {@code 500ms};
     * one too long for milliseconds in a {@code long} in ISO-8601 ({@code PT9999999999999H}).
     */
    static String format(Duration d) {
        long ms;
        try {
            ms = d.toMillis();
        } catch (ArithmeticException tooLong) {
            return d.toString();
        }
        if (ms % 1000 == 0) {
            return (ms / 1000) + "s";
        }
        return ms + "ms";
    }
}
