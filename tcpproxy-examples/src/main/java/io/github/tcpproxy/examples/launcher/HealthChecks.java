package io.github.tcpproxy.examples.launcher;

import io.github.tcpproxy.HealthCheck;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the launcher's health check setting, as a flag ({@code --health-check},
 * {@code --health-check interval=1s,fall=2}, {@code --health-check off}) or as the config file's
 * {@code health-check:} ({@code true}, {@code false}, a map with the same keys, or the flag's
 * text). Keys not given keep {@link HealthCheck#tcp()}'s defaults.
 */
final class HealthChecks {
    /** The keys, in the order messages list them. */
    static final List<String> KEYS = List.of("interval", "timeout", "rise", "fall");

    private HealthChecks() {
    }

    /**
     * Parses flag text: empty, {@code on} or {@code true} for the defaults, {@code off} or
     * {@code false} for no checks, else {@code key=value} pairs separated by commas.
     *
     * @param what names the value in messages ("p.yaml: health-check"), or null when the caller
     *     does (picocli names the option)
     * @return the checks, or empty for "off"
     * @throws IllegalArgumentException naming the bad key or value
     */
    static Optional<HealthCheck> parse(String what, String text) {
        String named = what == null ? "" : what + ": ";
        String s = text == null ? "" : text.trim();
        switch (s.toLowerCase(Locale.ROOT)) {
            case "", "on", "true", "yes":
                return Optional.of(HealthCheck.tcp());
            case "off", "false", "no":
                return Optional.empty();
            default:
                break;
        }
        HealthCheck check = HealthCheck.tcp();
        for (String part : s.split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(named + "'" + part.trim() + "' in '" + s
                        + "' is not of the form key=value; keys: " + String.join(", ", KEYS));
            }
            check = with(named, check, part.substring(0, eq).trim(), part.substring(eq + 1).trim());
        }
        return Optional.of(check);
    }

    /**
     * Reads the config file's map form; values are durations (text, or 0) and whole numbers as
     * YAML gives them.
     *
     * @throws IllegalArgumentException naming {@code where}, the key and the value
     */
    static HealthCheck fromMap(String where, Map<?, ?> fields) {
        HealthCheck check = HealthCheck.tcp();
        for (Map.Entry<?, ?> e : fields.entrySet()) {
            Object value = e.getValue();
            if (!(value instanceof String || value instanceof Integer)) {
                throw new IllegalArgumentException(where + ": " + e.getKey() + ": expected "
                        + (String.valueOf(e.getKey()).matches("rise|fall") ? "a whole number" : "a duration such as 2s")
                        + ", found " + (value == null ? "nothing" : "'" + value + "'"));
            }
            check = with(where + ": ", check, String.valueOf(e.getKey()), String.valueOf(value));
        }
        return check;
    }

    private static HealthCheck with(String named, HealthCheck check, String key, String value) {
        try {
            switch (key) {
                case "interval":
                    return check.withInterval(Durations.parse(named + key, value));
                case "timeout":
                    return check.withTimeout(Durations.parse(named + key, value));
                case "rise":
                    return check.withRise(count(named, key, value));
                case "fall":
                    return check.withFall(count(named, key, value));
                default:
                    throw new IllegalArgumentException(named + "unknown key '" + key + "'; known: "
                            + String.join(", ", KEYS));
            }
        } catch (IllegalArgumentException e) {
            // HealthCheck's own messages ("health check rise 0 must be 1 or more") lack the source.
            if (named.isEmpty() || e.getMessage().startsWith(named)) {
                throw e;
            }
            throw new IllegalArgumentException(named + e.getMessage(), e);
        }
    }

    private static int count(String named, String key, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(named + key + " '" + value + "' is not a whole number");
        }
    }

    /** The flag form of {@code check}, for messages: {@code interval=2s,timeout=2s,rise=2,fall=3}. */
    static String format(HealthCheck check) {
        return "interval=" + Durations.format(check.interval()) + ",timeout=" + Durations.format(check.timeout())
                + ",rise=" + check.rise() + ",fall=" + check.fall();
    }
}
