package io.github.tcpproxy.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The options of one strategy, as given after its name: {@code source-hash,port=true,fallback=true}.
 * Immutable. The typed getters fail with an {@link IllegalArgumentException} that names the
 * strategy, the option and the bad value.
 */
public final class StrategyOptions {
    private final String strategy;
    private final Map<String, String> values;

    private StrategyOptions(String strategy, Map<String, String> values) {
        this.strategy = strategy;
        this.values = values;
    }

    /**
     * Options for {@code strategy} from a map of names to values.
     *
     * @throws IllegalArgumentException if the map, a name or a value is null or a name is empty
     */
    public static StrategyOptions of(String strategy, Map<String, String> values) {
        if (values == null) {
            throw new IllegalArgumentException("strategy " + strategy + ": options must not be null (no options: an empty map)");
        }
        Map<String, String> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (k == null || k.isBlank() || v == null) {
                throw new IllegalArgumentException("strategy " + strategy
                        + ": option names and values must not be null or empty: " + k + "=" + v);
            }
            copy.put(k.trim(), v.trim());
        });
        return new StrategyOptions(strategy, Collections.unmodifiableMap(copy));
    }

    /** No options. */
    public static StrategyOptions none(String strategy) {
        return new StrategyOptions(strategy, Map.of());
    }

    /** The name of the strategy these options are for, used in messages. */
    public String strategy() {
        return strategy;
    }

    /** All options as given, in order. */
    public Map<String, String> asMap() {
        return values;
    }

    /**
     * Rejects any option not in {@code known}.
     *
     * @throws IllegalArgumentException naming the first unknown option and the known ones
     */
    public StrategyOptions checkKnown(String... known) {
        Set<String> allowed = Set.of(known);
        for (String key : values.keySet()) {
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException("strategy " + strategy + " has no option '" + key
                        + "'" + (known.length == 0 ? "; it takes none" : "; known: " + List.of(known)));
            }
        }
        return this;
    }

    /** The raw value, or {@code defaultValue} if absent. */
    public String get(String key, String defaultValue) {
        return values.getOrDefault(key, defaultValue);
    }

    /**
     * The value as a long within {@code min..max}, or {@code defaultValue} if absent.
     *
     * @throws IllegalArgumentException if it is not a whole number in range
     */
    public long getLong(String key, long defaultValue, long min, long max) {
        String text = values.get(key);
        if (text == null) {
            return defaultValue;
        }
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("strategy " + strategy + ": option " + key + " '"
                    + text + "' is not a whole number");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("strategy " + strategy + ": option " + key + " "
                    + value + " is out of range " + min + "-" + max);
        }
        return value;
    }

    /** {@link #getLong} for an int. */
    public int getInt(String key, int defaultValue, int min, int max) {
        return (int) getLong(key, defaultValue, min, max);
    }

    /**
     * The value as a boolean ({@code true}/{@code false}, {@code yes}/{@code no}, {@code on}/{@code off},
     * {@code 1}/{@code 0}, any case), or {@code defaultValue} if absent.
     *
     * @throws IllegalArgumentException if it is none of those
     */
    public boolean getBoolean(String key, boolean defaultValue) {
        String text = values.get(key);
        if (text == null) {
            return defaultValue;
        }
        switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on", "1":
                return true;
            case "false", "no", "off", "0":
                return false;
            default:
                throw new IllegalArgumentException("strategy " + strategy + ": option " + key + " '"
                        + text + "' is not true or false");
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(strategy);
        values.forEach((k, v) -> sb.append(',').append(k).append('=').append(v));
        return sb.toString();
    }
}
