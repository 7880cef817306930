package io.github.tcpproxy.examples.launcher;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.HealthCheck;
import io.github.tcpproxy.TcpProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * What the launcher was asked to run, from a config file, from flags, or both merged. A value is
 * {@code null} when it was not given, so that merging can tell "not given" from "given as the
 * default" and the defaults stay in one place: the {@link TcpProxy.Builder}.
 *
 * @param listen the listen address as typed ({@code host:port}), or null for {@link #DEFAULT_LISTEN}
 * @param backends the backends, or null if none were given here
 * @param strategy the strategy name and options, or null for {@link #DEFAULT_STRATEGY}
 * @param connectTimeout see {@link TcpProxy.Builder#connectTimeout}
 * @param connectAttempts see {@link TcpProxy.Builder#connectAttempts}
 * @param drainTimeout see {@link TcpProxy.Builder#drainTimeout}
 * @param threads see {@link TcpProxy.Builder#reactorThreads}
 * @param bufferSize see {@link TcpProxy.Builder#bufferSize}
 * @param healthCheck active health checks ({@link TcpProxy.Builder#healthCheck}); empty when
 *     turned off explicitly ({@code --health-check off}), null when not given
 * @param maxFails passive health: see {@link TcpProxy.Builder#passiveHealth}
 * @param failTimeout passive health: see {@link TcpProxy.Builder#passiveHealth}; needs
 *     {@code maxFails}
 * @param slowStart see {@link TcpProxy.Builder#slowStart}
 * @param hardening limits, timeouts, TCP options and access lists; never null
 */
record Settings(
        String listen,
        List<Backend> backends,
        String strategy,
        Duration connectTimeout,
        Integer connectAttempts,
        Duration drainTimeout,
        Integer threads,
        Integer bufferSize,
        Optional<HealthCheck> healthCheck,
        Integer maxFails,
        Duration failTimeout,
        Duration slowStart,
        Hardening hardening) {

    /** Where the launcher listens unless told otherwise: a fixed port, so that the printed hint works. */
    static final String DEFAULT_LISTEN = "127.0.0.1:9090";
    /** The strategy unless told otherwise; the builder's default too. */
    static final String DEFAULT_STRATEGY = "round-robin";
    /** Nothing given. */
    static final Settings NONE = new Settings(null, null, null, null, null, null, null, null, null, null, null,
            null, Hardening.NONE);

    Settings {
        backends = backends == null ? null : List.copyOf(backends);
        hardening = hardening == null ? Hardening.NONE : hardening;
    }

    /**
     * These settings with every value that {@code override} gives put in place of this one's. A
     * backend list in {@code override} replaces this list as a whole rather than adding to it: a
     * flag that names backends means "these", not "these too".
     */
    Settings overriddenBy(Settings override) {
        return new Settings(
                pick(override.listen, listen),
                override.backends != null && !override.backends.isEmpty() ? override.backends : backends,
                pick(override.strategy, strategy),
                pick(override.connectTimeout, connectTimeout),
                pick(override.connectAttempts, connectAttempts),
                pick(override.drainTimeout, drainTimeout),
                pick(override.threads, threads),
                pick(override.bufferSize, bufferSize),
                pick(override.healthCheck, healthCheck),
                pick(override.maxFails, maxFails),
                pick(override.failTimeout, failTimeout),
                pick(override.slowStart, slowStart),
                hardening.overriddenBy(override.hardening));
    }

    /** These settings with {@code backends} in place of this one's. */
    Settings withBackends(List<Backend> backends) {
        return new Settings(listen, backends, strategy, connectTimeout, connectAttempts, drainTimeout, threads,
                bufferSize, healthCheck, maxFails, failTimeout, slowStart, hardening);
    }

    /**
     * The config file keys of the settings, backends aside, that differ between these settings
     * and {@code other}, in {@link ConfigFile#KEYS} order: what a reload cannot apply to a
     * running proxy. "Not given" differs from "given as the default".
     */
    List<String> changedKeysExceptBackends(Settings other) {
        List<String> changed = new ArrayList<>();
        addIfChanged(changed, "listen", listen, other.listen);
        addIfChanged(changed, "strategy", strategy, other.strategy);
        addIfChanged(changed, "connect-timeout", connectTimeout, other.connectTimeout);
        addIfChanged(changed, "connect-attempts", connectAttempts, other.connectAttempts);
        addIfChanged(changed, "drain-timeout", drainTimeout, other.drainTimeout);
        addIfChanged(changed, "threads", threads, other.threads);
        addIfChanged(changed, "buffer-size", bufferSize, other.bufferSize);
        addIfChanged(changed, "health-check", healthCheck, other.healthCheck);
        addIfChanged(changed, "max-fails", maxFails, other.maxFails);
        addIfChanged(changed, "fail-timeout", failTimeout, other.failTimeout);
        addIfChanged(changed, "slow-start", slowStart, other.slowStart);
        changed.addAll(hardening.changedKeys(other.hardening));
        return changed;
    }

    private static void addIfChanged(List<String> changed, String key, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            changed.add(key);
        }
    }

    /** The listen address to use: the one given or {@link #DEFAULT_LISTEN}. */
    String listenOrDefault() {
        return listen != null ? listen : DEFAULT_LISTEN;
    }

    /** The strategy to use: the one given or {@link #DEFAULT_STRATEGY}. */
    String strategyOrDefault() {
        return strategy != null ? strategy : DEFAULT_STRATEGY;
    }

    /** The backends given, or an empty list. */
    List<Backend> backendsOrEmpty() {
        return backends != null ? backends : List.of();
    }

    /** The drain time {@link io.github.tcpproxy.RunningProxy#close()} will use, for messages. */
    Duration drainTimeoutOrDefault() {
        return drainTimeout != null ? drainTimeout : TcpProxy.Builder.DEFAULT_DRAIN_TIMEOUT;
    }

    /**
     * A builder with every setting applied except the backends, which the caller adds (the demo
     * starts its own first). Building it checks every value, so that a mistake is reported before
     * anything has been started.
     *
     * @throws IllegalArgumentException with the builder's message naming the bad value
     */
    TcpProxy.Builder newBuilder() {
        TcpProxy.Builder b = TcpProxy.builder();
        apply(b, null, true); // the launcher checked each source with its label first
        return b;
    }

    /**
     * The settings of a config file with the flags' put over them ({@link #overriddenBy}), each
     * value checked as {@link #newBuilder()} will, so that a bad one is reported with where it
     * came from: {@code --threads: ...} for a flag, {@code proxy.yaml: threads: ...} for the file.
     * A file value a flag replaces is not checked (nor its host looked up).
     *
     * @param file the file's settings, or null for none (flags alone)
     * @param fileName names the file in messages
     * @throws IllegalArgumentException "where: the builder's message"
     */
    static Settings merge(Settings file, String fileName, Settings flags) {
        Settings merged = file == null ? flags : file.overriddenBy(flags);
        Set<String> fromFlags = Set.copyOf(flags.changedKeysExceptBackends(NONE));
        merged.check(key -> file == null || fromFlags.contains(key) ? "--" + key : fileName + ": " + key);
        return merged;
    }

    /**
     * Checks each value given here on its own, as {@link #newBuilder()} will, naming its key with
     * {@code label}. Checks that need two values (a fail timeout needs max fails) are left to
     * {@link #newBuilder()}.
     */
    private void check(UnaryOperator<String> label) {
        apply(TcpProxy.builder(), label, false);
    }

    private void apply(TcpProxy.Builder b, UnaryOperator<String> label, boolean whole) {
        set(label, "listen", whole ? listenOrDefault() : listen, b::listen);
        set(label, "strategy", whole ? strategyOrDefault() : strategy, b::strategy);
        set(label, "connect-timeout", connectTimeout, b::connectTimeout);
        set(label, "connect-attempts", connectAttempts, b::connectAttempts);
        set(label, "drain-timeout", drainTimeout, b::drainTimeout);
        set(label, "threads", threads, b::reactorThreads);
        set(label, "buffer-size", bufferSize, b::bufferSize);
        if (healthCheck != null) {
            healthCheck.ifPresent(b::healthCheck);
        }
        // The fail timeout on its own first, so that a bad one is named as such.
        set(label, "fail-timeout", failTimeout, t -> b.passiveHealth(1, t));
        if (maxFails != null) {
            set(label, "max-fails", maxFails, n -> b.passiveHealth(n,
                    failTimeout != null ? failTimeout : TcpProxy.Builder.DEFAULT_FAIL_TIMEOUT));
        } else if (failTimeout != null && whole) {
            // Silently ignoring it would leave someone believing passive checks are on.
            throw new IllegalArgumentException("fail timeout " + Durations.format(failTimeout)
                    + " is given without max fails: passive health checks are off unless max-fails"
                    + " (--max-fails N) is 1 or more");
        }
        set(label, "slow-start", slowStart, b::slowStart);
        hardening.applyTo(b, label);
    }

    /**
     * Gives {@code value}, if not null, to {@code setter}; a rejection comes back with the label
     * of {@code key} in front of the builder's message (as it is with no label).
     */
    static <T> void set(UnaryOperator<String> label, String key, T value, Consumer<T> setter) {
        if (value == null) {
            return;
        }
        try {
            setter.accept(value);
        } catch (IllegalArgumentException e) {
            if (label == null) {
                throw e;
            }
            throw new IllegalArgumentException(label.apply(key) + ": " + e.getMessage(), e);
        }
    }

    private static <T> T pick(T preferred, T fallback) {
        return preferred != null ? preferred : fallback;
    }
}
