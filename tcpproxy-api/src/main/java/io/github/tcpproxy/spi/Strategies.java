package io.github.tcpproxy.spi;

import io.github.tcpproxy.internal.Services;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SortedSet;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds strategies by name among the {@link StrategyProvider}s visible to
 * {@link ServiceLoader}, like {@link java.nio.charset.Charset#forName(String)}. Nothing is cached:
 * each call looks again, so providers added to a class loader later are seen.
 */
public final class Strategies {
    private static final Logger log = LoggerFactory.getLogger(Strategies.class);

    private Strategies() {
    }

    /**
     * Creates the strategy named by {@code spec}: a name or alias, optionally followed by
     * comma-separated options, for example {@code round-robin} or {@code maglev,table-size=65537}.
     *
     * @throws IllegalArgumentException if the spec is null or malformed (an option given twice
     *     included), no provider has that name
     *     (the message lists the known names), or the provider rejects an option
     */
    public static Strategy create(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("strategy must not be null");
        }
        String[] parts = spec.split(",", -1);
        String name = parts[0].trim();
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i].trim();
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("strategy '" + spec + "': option '" + part
                        + "' is not of the form name=value");
            }
            String key = part.substring(0, eq).trim();
            if (options.put(key, part.substring(eq + 1).trim()) != null) {
                // Likely a slip when editing a config: say so rather than let the last one win.
                throw new IllegalArgumentException("strategy '" + spec + "': option '" + key
                        + "' is given twice");
            }
        }
        return create(name, options);
    }

    /**
     * Creates the strategy with this name or alias and these options.
     *
     * @throws IllegalArgumentException if no provider has that name (the message lists the known
     *     names), or the provider rejects an option
     */
    public static Strategy create(String name, Map<String, String> options) {
        StrategyProvider provider = provider(name);
        Strategy strategy = provider.create(StrategyOptions.of(provider.name(), options));
        if (strategy == null) {
            throw new IllegalStateException("strategy provider " + provider.getClass().getName()
                    + " returned null for '" + name + "'");
        }
        return strategy;
    }

    /**
     * The provider with this name or alias (names are case-insensitive).
     *
     * @throws IllegalArgumentException if there is none; the message lists the known names
     */
    public static StrategyProvider provider(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("strategy name must not be empty; known: " + names());
        }
        String wanted = name.trim();
        for (StrategyProvider p : providers()) {
            if (p.name().equalsIgnoreCase(wanted)) {
                return p;
            }
            // Providers are asked for lower-case names, but one that is not must still be found.
            for (String alias : p.aliases()) {
                if (alias.equalsIgnoreCase(wanted)) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException("unknown strategy '" + name + "'; known: "
                + String.join(", ", names()));
    }

    /**
     * Every provider found, in {@link ServiceLoader} order: those the thread's context class loader
     * sees, then those of this module's loader (the built-in ones, also where the context loader
     * cannot see them, as in application servers and build tools), each provider class once. A
     * broken provider is logged and skipped. Unmodifiable.
     */
    public static List<StrategyProvider> providers() {
        return List.copyOf(Services.all(StrategyProvider.class, "a strategy provider", log));
    }

    /** Every name and alias of the providers found, sorted; unmodifiable. */
    public static SortedSet<String> names() {
        SortedSet<String> names = new TreeSet<>();
        for (StrategyProvider p : providers()) {
            names.add(p.name());
            names.addAll(p.aliases());
        }
        return Collections.unmodifiableSortedSet(names);
    }
}
