package io.github.tcpproxy.examples.launcher;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.HealthCheck;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads launcher settings from a YAML file:
 *
 * <pre>{@code
 * listen: 127.0.0.1:9090
 * strategy: round-robin
 * connect-timeout: 2s
 * connect-attempts: 3
 * drain-timeout: 10s
 * threads: 2
 * buffer-size: 256k       # sizes: bytes (262144), or k, m, g (KiB, MiB, GiB), see ByteSizes
 * health-check:            # or: true (every 2s, timeout 2s, rise 2, fall 3), false
 *   interval: 1s
 *   timeout: 500ms
 *   rise: 2
 *   fall: 3
 * max-fails: 3             # passive health: down after 3 connect failures in a row...
 * fail-timeout: 10s        # ...for 10 s, then tried again
 * slow-start: 30s
 * max-connections: 10000   # limits: 0 or absent for none
 * max-connections-per-client: 100
 * max-connection-rate-per-client: 50   # new connections per second
 * idle-timeout: 5m         # timeouts: 0 or absent for none
 * half-closed-timeout: 30s
 * accept-backlog: 1024
 * tcp-nodelay: true
 * keepalive: true
 * send-buffer-size: 0      # 0: the system's default
 * receive-buffer-size: 0
 * max-buffer-memory: 512m  # 0 or absent: 3/8 of -XX:MaxDirectMemorySize, shared by the JVM's proxies
 * allow: [10.0.0.0/8, "2001:db8::/32"]
 * deny: 10.6.6.0/24
 * access-log: access.log   # or "-" for standard output (quoted: a bare - starts a list); see AccessLog
 * send-proxy-protocol: v2  # or v1, off
 * accept-proxy-protocol: false
 * proxy-protocol-timeout: 3s
 * backends:
 *   - 127.0.0.1:8080,weight=2
 *   - address: 127.0.0.1:8081
 *     weight: 2
 *     max-conns: 100
 * }</pre>
 *
 * <p>Every key is optional. On a reload (SIGHUP, see {@link BackendReload}) only the backends
 * and the three connection limits are applied to the running proxy. An unknown key is an error
 * naming it, so that a typo does not silently fall back to a default. The YAML is read with
 * {@link SafeConstructor}: plain maps, lists and scalars only, never an object of a class the
 * file names.
 */
final class ConfigFile {
    /** The top-level keys, in the order the error message lists them. */
    static final List<String> KEYS = concat(List.of("listen", "backends", "strategy", "connect-timeout",
            "connect-attempts", "drain-timeout", "threads", "buffer-size", "health-check", "max-fails",
            "fail-timeout", "slow-start"), Hardening.KEYS);
    /** The keys of a backend written as a map. */
    static final List<String> BACKEND_KEYS = List.of("address", "weight", "max-conns");

    private ConfigFile() {
    }

    /**
     * Reads and checks {@code file}.
     *
     * @throws IllegalArgumentException naming the file and the problem if it cannot be read, is
     *     not valid YAML, or holds an unknown key or a bad value
     */
    static Settings read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("config file '" + file + "' does not exist");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("config file '" + file + "' cannot be read: permission denied");
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("config file '" + file + "' is not UTF-8 text");
        } catch (FileSystemException e) {
            // getReason() is "Is a directory" and the like, without the file name repeated.
            String reason = e.getReason() != null ? e.getReason() : e.getMessage();
            throw new IllegalArgumentException("config file '" + file + "' cannot be read: " + reason);
        } catch (IOException e) {
            throw new IllegalArgumentException("config file '" + file + "' cannot be read: " + e.getMessage());
        }
        return parse(text, file.toString());
    }

    /**
     * Parses YAML text; the builder's checks of the values come with {@link Settings#merge}.
     *
     * @param source names the text in messages, usually the file name
     * @throws IllegalArgumentException naming the source and the problem
     */
    static Settings parse(String text, String source) {
        Object root;
        try {
            root = yaml().load(text);
        } catch (MarkedYAMLException e) {
            throw new IllegalArgumentException(source + ": " + describe(e));
        } catch (YAMLException e) {
            throw new IllegalArgumentException(source + ": not valid YAML: " + oneLine(e.getMessage()));
        }
        if (root == null) {
            // An empty file (or only comments) is no settings at all, not an error.
            return Settings.NONE;
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(source + ": expected a map of settings such as 'listen: "
                    + Settings.DEFAULT_LISTEN + "', found " + describeValue(root));
        }
        String listen = null;
        List<Backend> backends = null;
        String strategy = null;
        Duration connectTimeout = null;
        Integer connectAttempts = null;
        Duration drainTimeout = null;
        Integer threads = null;
        Integer bufferSize = null;
        Optional<HealthCheck> healthCheck = null;
        Integer maxFails = null;
        Duration failTimeout = null;
        Duration slowStart = null;
        Hardening.Reader hardening = new Hardening.Reader();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String key = String.valueOf(entry.getKey());
            Object value = entry.getValue();
            String where = source + ": " + key;
            switch (key) {
                case "listen" -> listen = text(where, value, "HOST:PORT");
                case "backends" -> backends = backends(where, value);
                case "strategy" -> strategy = text(where, value, "a strategy name such as round-robin");
                case "connect-timeout" -> connectTimeout = duration(where, value);
                case "connect-attempts" -> connectAttempts = integer(where, value);
                case "drain-timeout" -> drainTimeout = duration(where, value);
                case "threads" -> threads = integer(where, value);
                case "buffer-size" -> bufferSize = intSize(where, value);
                case "health-check" -> healthCheck = healthCheck(where, value);
                case "max-fails" -> maxFails = integer(where, value);
                case "fail-timeout" -> failTimeout = duration(where, value);
                case "slow-start" -> slowStart = duration(where, value);
                default -> {
                    if (!hardening.read(key, value, where)) {
                        throw new IllegalArgumentException(source + ": unknown key '" + key
                                + "'; known: " + String.join(", ", KEYS));
                    }
                }
            }
        }
        return new Settings(listen, backends, strategy, connectTimeout, connectAttempts, drainTimeout,
                threads, bufferSize, healthCheck, maxFails, failTimeout, slowStart, hardening.result());
    }

    private static Yaml yaml() {
        LoaderOptions options = new LoaderOptions();
        // A repeated key would otherwise silently keep the last value.
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        // A settings file has no use for aliases; a small limit blocks "billion laughs" input.
        options.setMaxAliasesForCollections(10);
        return new Yaml(new SafeConstructor(options));
    }

    private static List<Backend> backends(String where, Object value) {
        if (!(value instanceof List<?> items)) {
            throw new IllegalArgumentException(where + ": expected a list of backends such as"
                    + " '- 127.0.0.1:8080,weight=2', found " + describeValue(value));
        }
        List<Backend> backends = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String itemWhere = where + " item " + (i + 1);
            Object item = items.get(i);
            try {
                if (item instanceof String spec) {
                    backends.add(Backend.parse(spec));
                } else if (item instanceof Map<?, ?> fields) {
                    backends.add(backend(itemWhere, fields));
                } else {
                    throw new IllegalArgumentException("expected 'HOST:PORT[,weight=N][,max-conns=N]' or a map"
                            + " with keys " + String.join(", ", BACKEND_KEYS) + ", found " + describeValue(item));
                }
            } catch (IllegalArgumentException e) {
                if (e.getMessage().startsWith(itemWhere)) {
                    throw e;
                }
                throw new IllegalArgumentException(itemWhere + ": " + e.getMessage(), e);
            }
        }
        return backends;
    }

    private static Backend backend(String where, Map<?, ?> fields) {
        for (Object key : fields.keySet()) {
            if (!BACKEND_KEYS.contains(String.valueOf(key))) {
                throw new IllegalArgumentException(where + ": unknown key '" + key + "'; known: "
                        + String.join(", ", BACKEND_KEYS));
            }
        }
        Object address = fields.get("address");
        if (address == null) {
            throw new IllegalArgumentException(where + ": 'address' is missing; give HOST:PORT");
        }
        Backend backend = Backend.parse(text(where + ": address", address, "HOST:PORT"));
        if (fields.containsKey("weight")) {
            backend = backend.withWeight(integer(where + ": weight", fields.get("weight")));
        }
        if (fields.containsKey("max-conns")) {
            backend = backend.withMaxConnections(integer(where + ": max-conns", fields.get("max-conns")));
        }
        return backend;
    }

    private static Optional<HealthCheck> healthCheck(String where, Object value) {
        if (value instanceof Boolean on) {
            return on ? Optional.of(HealthCheck.tcp()) : Optional.empty();
        }
        if (value instanceof Map<?, ?> fields) {
            return Optional.of(HealthChecks.fromMap(where, fields));
        }
        if (value instanceof String text) {
            return HealthChecks.parse(where, text);
        }
        throw new IllegalArgumentException(where + ": expected true, false or a map with keys "
                + String.join(", ", HealthChecks.KEYS) + ", found " + describeValue(value));
    }

    static String text(String where, Object value, String expected) {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(where + ": expected " + expected + ", found " + describeValue(value));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    static Boolean bool(String where, Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(where + ": expected true or false, found " + describeValue(value));
    }

    /** A list of strings, or one string (a list of one, or comma-separated items). */
    static List<String> textList(String where, Object value, String expected) {
        if (value instanceof String s) {
            return List.of(s.split("\\s*,\\s*"));
        }
        if (value instanceof List<?> items) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                out.add(text(where + " item " + (i + 1), items.get(i), expected));
            }
            return out;
        }
        throw new IllegalArgumentException(where + ": expected a list of " + expected + ", found "
                + describeValue(value));
    }

    static Integer integer(String where, Object value) {
        if (value instanceof Integer i) {
            return i;
        }
        throw new IllegalArgumentException(where + ": expected a whole number up to " + Integer.MAX_VALUE
                + ", found " + describeValue(value));
    }

    /**
     * A size in bytes that fits an {@code int}: YAML's number ({@code 262144}) or text such as
     * {@code 256k}; see {@link ByteSizes}.
     */
    static Integer intSize(String where, Object value) {
        return ByteSizes.parseInt(where, sizeText(where, value));
    }

    /** A size in bytes that fits a {@code long}; see {@link #intSize}. */
    static Long longSize(String where, Object value) {
        return ByteSizes.parse(where, sizeText(where, value));
    }

    private static String sizeText(String where, Object value) {
        if (value instanceof String || value instanceof Integer || value instanceof Long
                || value instanceof BigInteger) {
            // A number goes through the same parser as text, so that a negative or too large one
            // gets the same message.
            return String.valueOf(value);
        }
        throw new IllegalArgumentException(where + ": expected " + ByteSizes.EXPECTED + ", found "
                + describeValue(value));
    }

    static Duration duration(String where, Object value) {
        if (value instanceof String || value instanceof Integer) {
            // 0 arrives as an Integer; any other bare number is rejected by Durations for lack of a unit.
            return Durations.parse(where, String.valueOf(value));
        }
        throw new IllegalArgumentException(where + ": expected a duration such as 2s, found " + describeValue(value));
    }

    private static String describeValue(Object value) {
        if (value == null) {
            return "nothing";
        }
        if (value instanceof Map) {
            return "a map";
        }
        if (value instanceof List) {
            return "a list";
        }
        if (value instanceof String) {
            return "'" + value + "'";
        }
        return "'" + value + "' (" + (value instanceof Number ? "a number" : value.getClass().getSimpleName()) + ")";
    }

    private static String describe(MarkedYAMLException e) {
        StringBuilder sb = new StringBuilder();
        Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
        if (mark != null) {
            sb.append("line ").append(mark.getLine() + 1).append(", column ").append(mark.getColumn() + 1).append(": ");
        }
        if (e.getContext() != null) {
            sb.append(e.getContext()).append(": ");
        }
        sb.append(e.getProblem());
        if (e.getContext() != null && e.getContext().contains("alias")) {
            // `listen: *:9090` is the likely cause: '*' starts a YAML alias unless quoted.
            sb.append(" (quote values that start with * or &, e.g. listen: \"*:9090\")");
        } else if (e.getProblem() != null && e.getProblem().contains("sequence entries are not allowed here")) {
            // `access-log: -` is the likely cause: a '-' after a key starts a YAML list item unless quoted.
            sb.append(" (quote a lone -, e.g. access-log: \"-\"; a list's items go on the lines below its key)");
        } else if (e.getContext() != null && e.getContext().contains("flow node")
                && e.getProblem() != null && e.getProblem().contains("found ':'")) {
            // `- [::1]:8080` is the likely cause: '[' starts a YAML list unless quoted.
            sb.append(" (quote an IPv6 address in brackets, e.g. - \"[::1]:8080\")");
        }
        return oneLine(sb.toString());
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
