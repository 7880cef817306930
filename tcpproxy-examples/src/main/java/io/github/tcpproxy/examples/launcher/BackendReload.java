package io.github.tcpproxy.examples.launcher;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.RunningProxy;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Re-reads the launcher's config file and applies its backends to the running proxy without a
 * restart, the launcher's answer to SIGHUP: backends new in the file are added, backends gone
 * from it are removed (their open connections finish undisturbed), and backends whose weight or
 * connection limit changed are updated. The proxy-wide connection limits ({@code max-connections},
 * {@code max-connections-per-client}, {@code max-connection-rate-per-client}) are applied too
 * when they differ from those the proxy has, the start-up ones or those of the last reload. Any
 * other setting that differs from the one the proxy was started with is reported, in one line,
 * as needing a restart. A file that does not read or check cleanly changes nothing: one error
 * line, and the proxy keeps running as it was.
 *
 * <p>Flags still override the file, as at start-up: with {@code --backend} flags the file's
 * backends are ignored, on a reload too.
 *
 * <p>Thread-safe: {@link #reload()} is synchronized, since a signal may arrive while a reload runs.
 */
final class BackendReload {
    private final RunningProxy proxy;
    private final Path file;
    private final Settings flags;
    private final Settings running;
    private final PrintStream out;
    private final PrintStream err;
    /**
     * The connection limits the proxy has: the start-up ones, then those of the last reload that
     * applied any. Guarded by {@code this}. The backends need no such memory: they are compared
     * with the proxy's own list.
     */
    private Limits limits;

    /**
     * A reload for a proxy started from {@code file}; nothing is read until {@link #reload()}.
     *
     * @param proxy the proxy to change
     * @param file the config file it was started with
     * @param flags the settings the command line gave, which override the file's
     * @param running the settings the proxy was started with (file and flags merged)
     * @param out where the outcome line goes
     * @param err where the error line goes
     */
    BackendReload(RunningProxy proxy, Path file, Settings flags, Settings running, PrintStream out,
            PrintStream err) {
        this.proxy = proxy;
        this.file = file;
        this.flags = flags;
        this.running = running;
        this.out = out;
        this.err = err;
        this.limits = Limits.of(running.hardening());
    }

    /**
     * What a reload did.
     *
     * @param added backends added, in file order
     * @param removed addresses of the backends removed
     * @param updated backends whose weight or connection limit changed, with the new values
     * @param needRestart config keys, other than {@code backends} and the connection limits, whose
     *     value differs from the one the proxy was started with, which a reload does not apply
     * @param error why nothing was applied, or null if the reload went through
     */
    record Outcome(List<Backend> added, List<InetSocketAddress> removed, List<Backend> updated,
            List<String> needRestart, String error) {

        static Outcome failed(String error) {
            return new Outcome(List.of(), List.of(), List.of(), List.of(), error);
        }

        /** Whether the reload was rejected and nothing changed. */
        boolean failed() {
            return error != null;
        }

        /** Whether the backends changed. */
        boolean changedBackends() {
            return !added.isEmpty() || !removed.isEmpty() || !updated.isEmpty();
        }
    }

    /**
     * Reads the file, checks it as start-up would, and applies its backends; prints one line
     * saying what changed (and one more if other settings need a restart), or one error line.
     * Never throws for a bad file.
     */
    synchronized Outcome reload() {
        Settings next;
        try {
            next = Settings.merge(ConfigFile.read(file), file.toString(), flags);
            check(next);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return fail(e.getMessage());
        }
        Outcome outcome;
        // Settings a reload cannot apply are still those of the start-up, whatever earlier
        // reloads said; the limits are judged against what the proxy has now.
        List<String> needRestart = new ArrayList<>(running.changedKeysExceptBackends(next));
        needRestart.removeAll(Hardening.RUNTIME_KEYS);
        Limits wanted = Limits.of(next.hardening());
        boolean limitsChanged = !wanted.equals(limits);
        try {
            outcome = apply(proxy, next.backendsOrEmpty(), needRestart);
            if (limitsChanged) {
                proxy.setConnectionLimits(wanted.max(), wanted.perClient(), wanted.ratePerClient());
                limits = wanted;
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            // The proxy closed meanwhile, or someone else changed its backends under us.
            return fail(e.getMessage());
        }
        out.println("tcpproxy: reloaded " + file + ": " + describe(outcome)
                + (hasBackendFlags() ? " (--backend flags replace the file's backends)" : "")
                + (limitsChanged ? "; connection limits applied" : ""));
        if (!outcome.needRestart().isEmpty()) {
            out.println("tcpproxy: " + file + ": " + String.join(", ", outcome.needRestart())
                    + " changed; that needs a restart, the running proxy keeps the previous value"
                    + (outcome.needRestart().size() > 1 ? "s" : ""));
        }
        out.flush();
        return outcome;
    }

    /**
     * Makes the backends of {@code proxy} those of {@code wanted}, by address: adds the new ones
     * first, then updates the changed ones, then removes those no longer wanted, so that a
     * proxy whose whole list is replaced never runs without a backend.
     *
     * @param needRestart passed through to the outcome
     * @throws IllegalArgumentException if {@code wanted} is empty or names an address twice
     * @throws IllegalStateException if the proxy is closed
     */
    static Outcome apply(RunningProxy proxy, List<Backend> wanted, List<String> needRestart) {
        if (wanted.isEmpty()) {
            throw new IllegalArgumentException("no backends: a reload must leave at least one");
        }
        Map<InetSocketAddress, Backend> want = new LinkedHashMap<>();
        for (Backend b : wanted) {
            if (want.put(b.address(), b) != null) {
                throw new IllegalArgumentException("backend " + b.name() + " is listed twice");
            }
        }
        Map<InetSocketAddress, Backend> have = new LinkedHashMap<>();
        for (BackendStatus s : proxy.backends()) {
            have.put(s.address(), s.backend());
        }
        List<Backend> added = new ArrayList<>();
        List<Backend> updated = new ArrayList<>();
        List<InetSocketAddress> removed = new ArrayList<>();
        for (Backend b : want.values()) {
            if (!have.containsKey(b.address())) {
                proxy.addBackend(b);
                added.add(b);
            }
        }
        for (Backend b : want.values()) {
            Backend old = have.get(b.address());
            if (old != null && !old.equals(b)) {
                proxy.updateBackend(b);
                updated.add(b);
            }
        }
        for (InetSocketAddress address : have.keySet()) {
            if (!want.containsKey(address) && proxy.removeBackend(address)) {
                removed.add(address);
            }
        }
        return new Outcome(List.copyOf(added), List.copyOf(removed), List.copyOf(updated),
                List.copyOf(needRestart), null);
    }

    /** Checks {@code next} as start-up would, so that a bad value is an error and not half-applied. */
    private static void check(Settings next) {
        if (next.backendsOrEmpty().isEmpty()) {
            throw new IllegalArgumentException("no backends: the file must list at least one");
        }
        // Checks every value, strategy options and duplicate backends included; starts nothing.
        next.newBuilder().backends(next.backendsOrEmpty());
    }

    private boolean hasBackendFlags() {
        return flags.backends() != null && !flags.backends().isEmpty();
    }

    private Outcome fail(String message) {
        String line = message == null ? "unknown error" : message.replaceAll("\\s*\\R\\s*", " ").trim();
        err.println("tcpproxy: reload of " + file + " failed; still running the previous configuration: " + line);
        err.flush();
        return Outcome.failed(line);
    }

    /** "added A; removed B (open connections finish); updated C", or "backends unchanged". */
    static String describe(Outcome outcome) {
        if (!outcome.changedBackends()) {
            return "backends unchanged";
        }
        List<String> parts = new ArrayList<>();
        if (!outcome.added().isEmpty()) {
            parts.add("added " + join(outcome.added()));
        }
        if (!outcome.removed().isEmpty()) {
            parts.add("removed " + outcome.removed().stream().map(Launcher::format).collect(Collectors.joining(" "))
                    + " (open connections finish)");
        }
        if (!outcome.updated().isEmpty()) {
            parts.add("updated " + join(outcome.updated()));
        }
        return String.join("; ", parts);
    }

    private static String join(List<Backend> backends) {
        return backends.stream().map(Backend::toString).collect(Collectors.joining(" "));
    }

    /**
     * The three connection limits as {@link RunningProxy#setConnectionLimits} takes them, 0 for
     * none, so that "not given" and "0" compare equal: both mean no limit.
     */
    private record Limits(int max, int perClient, int ratePerClient) {
        static Limits of(Hardening h) {
            return new Limits(orZero(h.maxConnections()), orZero(h.maxConnectionsPerClient()),
                    orZero(h.maxConnectionRatePerClient()));
        }

        private static int orZero(Integer limit) {
            return limit == null ? 0 : limit;
        }
    }
}
