package io.github.tcpproxy.micrometer;

import io.github.tcpproxy.BackendStatus;
import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.internal.Addresses;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters for a running proxy, read from {@link RunningProxy#stats()} when the
 * registry asks (no thread of its own, nothing on the proxy's hot path):
 *
 * <pre>{@code
 * new TcpProxyMetrics(proxy, Tags.of("proxy", "db")).bindTo(registry);
 * }</pre>
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th></tr>
 *   <tr><td>{@code tcpproxy.connections.active}</td><td>gauge</td><td></td></tr>
 *   <tr><td>{@code tcpproxy.connections}</td><td>counter</td><td></td></tr>
 *   <tr><td>{@code tcpproxy.connections.refused}</td><td>counter</td><td>{@code reason}: denied,
 *       max_connections, max_connections_per_client, rate_limited</td></tr>
 *   <tr><td>{@code tcpproxy.connections.closed}</td><td>counter</td><td>{@code reason}:
 *       no_backend, idle_timeout, half_closed_timeout, proxy_protocol_error</td></tr>
 *   <tr><td>{@code tcpproxy.bytes}</td><td>counter (bytes)</td><td>{@code direction}:
 *       client_to_backend, backend_to_client</td></tr>
 *   <tr><td>{@code tcpproxy.bytes.buffered}</td><td>gauge (bytes)</td><td></td></tr>
 *   <tr><td>{@code tcpproxy.connect.failures}</td><td>counter</td><td></td></tr>
 *   <tr><td>{@code tcpproxy.accept.failures}</td><td>counter</td><td></td></tr>
 *   <tr><td>{@code tcpproxy.buffer.waits}</td><td>counter</td><td></td></tr>
 *   <tr><td>{@code tcpproxy.backend.connections.active}</td><td>gauge</td><td>{@code backend}</td></tr>
 *   <tr><td>{@code tcpproxy.backend.connections.inactive}</td><td>gauge</td><td>{@code backend}</td></tr>
 *   <tr><td>{@code tcpproxy.backend.connections}</td><td>counter</td><td>{@code backend}</td></tr>
 *   <tr><td>{@code tcpproxy.backend.bytes}</td><td>counter (bytes)</td><td>{@code backend},
 *       {@code direction}</td></tr>
 *   <tr><td>{@code tcpproxy.backend.connect.failures}</td><td>counter</td><td>{@code backend}</td></tr>
 *   <tr><td>{@code tcpproxy.backend.up}</td><td>gauge (1 up, 0 down)</td><td>{@code backend}</td></tr>
 *   <tr><td>{@code tcpproxy.backend.weight}</td><td>gauge (effective weight)</td><td>{@code backend}</td></tr>
 * </table>
 *
 * <p>Backend meters follow the proxy's backends: those present at {@link #bindTo} are registered
 * then, and each time the meters are read (a scrape, a publish) against a newer snapshot, the meters
 * of backends added since are registered and those of backends removed since are removed from the
 * registry, so a scrape after the change shows it (the one that noticed it may not yet). A
 * backend's meters stop counting when it is removed, even while its last connections finish; the
 * proxy-wide meters count those. One snapshot serves all meters read within 100 ms, so a registry
 * scraping every meter costs one {@code stats()} call. Thread-safe; reading a meter never waits
 * for another thread's registering.
 *
 * <p>No reference to the binder need be kept: the registry keeps it, and the proxy it reads,
 * reachable. Binding to a registry again registers what was removed from it meanwhile (after
 * {@code clear()}, say). A backend removed and added back between two reads keeps its meters, and
 * its counters start again from 0 (registries take that as a counter reset).
 */
public final class TcpProxyMetrics implements MeterBinder, AutoCloseable {
    private static final long SNAPSHOT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final RunningProxy proxy;
    private final Tags tags;
    /** Guards the maps of meters, {@link #closed}, and the registering and removing of backend meters. */
    private final ReentrantLock backendLock = new ReentrantLock();
    /**
     * Per registry bound to, the meters registered there for each backend. Weak keys: a registry
     * dropped by its user must not be kept by this binder (registries compare by identity).
     */
    private final Map<MeterRegistry, Map<InetSocketAddress, List<Meter>>> backendMeters = new WeakHashMap<>();
    /** Per registry bound to, the proxy-wide meters registered there (weak keys, as above). */
    private final Map<MeterRegistry, List<Meter>> proxyMeters = new WeakHashMap<>();
    /** Set by {@link #close()}: no more binding. */
    private boolean closed;
    /**
     * What the registry holds to keep this binder reachable (see {@link #bindTo}); emptied by
     * {@link #close()}, since a registry's listeners cannot be removed.
     */
    private final KeepAlive keepAlive = new KeepAlive(this);
    /** Set while {@link #checkOurs} reads a gauge: the binder whose function answers is put in it. */
    private static final ThreadLocal<TcpProxyMetrics[]> PROBE = new ThreadLocal<>();
    /** The snapshot whose backends the backend meters match; a newer one is matched at the next read. */
    private volatile ProxyStats matched;
    private ProxyStats snapshot;
    private long snapshotAt;

    /** Meters for {@code proxy}, without extra tags. */
    public TcpProxyMetrics(RunningProxy proxy) {
        this(proxy, Tags.empty());
    }

    /**
     * Meters for {@code proxy}, each with {@code tags} added (for example the proxy's name).
     *
     * @throws IllegalArgumentException if either is null
     */
    public TcpProxyMetrics(RunningProxy proxy, Iterable<Tag> tags) {
        if (proxy == null || tags == null) {
            throw new IllegalArgumentException("proxy and tags must not be null");
        }
        this.proxy = proxy;
        this.tags = Tags.of(tags);
    }

    /**
     * Registers the meters in {@code registry}, with those of the proxy's backends; binding to the
     * same registry again registers nothing twice.
     *
     * @throws IllegalStateException if another binder's meters with the same tags are in the
     *     registry already (two proxies bound without telling them apart): the registry would
     *     hand this binder that one's meters, and this proxy's figures would never be seen
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        checkNotClosed();
        List<Meter> proxyWide = new ArrayList<>();
        Meter active = gauge(registry, "tcpproxy.connections.active", "client connections open now", Tags.empty(),
                m -> m.answerProbe() ? 0 : m.stats().activeConnections());
        checkOurs(active);
        proxyWide.add(active);
        proxyWide.add(counter(registry, "tcpproxy.connections", "client connections served since start", Tags.empty(),
                m -> m.stats().totalConnections()));
        proxyWide.add(counter(registry, "tcpproxy.connections.refused", "clients refused", Tags.of("reason", "denied"),
                m -> m.stats().refusedDenied()));
        proxyWide.add(counter(registry, "tcpproxy.connections.refused", "clients refused",
                Tags.of("reason", "max_connections"), m -> m.stats().refusedMaxConnections()));
        proxyWide.add(counter(registry, "tcpproxy.connections.refused", "clients refused",
                Tags.of("reason", "max_connections_per_client"), m -> m.stats().refusedMaxConnectionsPerClient()));
        proxyWide.add(counter(registry, "tcpproxy.connections.refused", "clients refused",
                Tags.of("reason", "rate_limited"), m -> m.stats().refusedRateLimited()));
        proxyWide.add(counter(registry, "tcpproxy.connections.closed", "connections closed by the proxy",
                Tags.of("reason", "no_backend"), m -> m.stats().noBackendClosures()));
        proxyWide.add(counter(registry, "tcpproxy.connections.closed", "connections closed by the proxy",
                Tags.of("reason", "idle_timeout"), m -> m.stats().idleTimeouts()));
        proxyWide.add(counter(registry, "tcpproxy.connections.closed", "connections closed by the proxy",
                Tags.of("reason", "half_closed_timeout"), m -> m.stats().halfClosedTimeouts()));
        proxyWide.add(counter(registry, "tcpproxy.connections.closed", "connections closed by the proxy",
                Tags.of("reason", "proxy_protocol_error"), m -> m.stats().proxyProtocolErrors()));
        proxyWide.add(bytes(registry, "tcpproxy.bytes", "bytes relayed", Tags.of("direction", "client_to_backend"),
                m -> m.stats().bytesClientToBackend()));
        proxyWide.add(bytes(registry, "tcpproxy.bytes", "bytes relayed", Tags.of("direction", "backend_to_client"),
                m -> m.stats().bytesBackendToClient()));
        proxyWide.add(Gauge.builder("tcpproxy.bytes.buffered", this, m -> m.stats().bufferedBytes())
                .strongReference(true)
                .description("bytes read from one side and not yet taken by the other").baseUnit("bytes")
                .tags(tags).register(registry));
        proxyWide.add(counter(registry, "tcpproxy.connect.failures", "backend connects that failed or timed out",
                Tags.empty(), m -> m.stats().connectFailures()));
        proxyWide.add(counter(registry, "tcpproxy.accept.failures", "failed accepts (such as out of descriptors)",
                Tags.empty(), m -> m.stats().acceptFailures()));
        proxyWide.add(counter(registry, "tcpproxy.buffer.waits",
                "times a connection found the relay buffer budget spent",
                Tags.empty(), m -> m.stats().bufferWaits()));
        synchronized (this) {
            // The backends of now, not of a snapshot from before they changed.
            snapshot = proxy.stats();
            snapshotAt = System.nanoTime();
        }
        backendLock.lock();
        try {
            proxyMeters.put(registry, proxyWide);
            Map<InetSocketAddress, List<Meter>> byBackend = backendMeters.get(registry);
            if (byBackend == null) {
                backendMeters.put(registry, new HashMap<>());
                // Micrometer holds a meter's object weakly, and the usual one-line bindTo keeps no
                // reference to this binder: a listener is held by the registry whatever its
                // filters let through (a registry that keeps no gauge would otherwise let it go).
                registry.config().onMeterRemoved(keepAlive::meterRemoved);
            } else {
                // Meters removed from the registry meanwhile (clear(), say) are registered again.
                Set<Meter.Id> there = new HashSet<>();
                registry.forEachMeter(m -> there.add(m.getId()));
                byBackend.values().removeIf(meters -> !meters.stream().allMatch(m -> there.contains(m.getId())));
            }
            matchLatest(true);
        } finally {
            backendLock.unlock();
        }
    }

    /**
     * Removes this binder's meters from every registry it was bound to: for a proxy that is
     * closed, so that another can be bound in its place with the same tags. It cannot be bound
     * again afterwards. Closing twice does nothing.
     */
    @Override
    public void close() {
        backendLock.lock();
        try {
            closed = true;
            proxyMeters.forEach((registry, meters) -> meters.forEach(registry::remove));
            backendMeters.forEach((registry, byBackend) -> byBackend.values()
                    .forEach(meters -> meters.forEach(registry::remove)));
            proxyMeters.clear();
            backendMeters.clear();
            keepAlive.binder = null;
        } finally {
            backendLock.unlock();
        }
    }

    /** Held by the registries bound to, as a listener, to keep the binder reachable until closed. */
    private static final class KeepAlive {
        volatile TcpProxyMetrics binder;

        KeepAlive(TcpProxyMetrics binder) {
            this.binder = binder;
        }

        void meterRemoved(Meter removed) {
            // Nothing to do: being held is the point.
        }
    }

    /**
     * Brings the backend meters in line with the latest snapshot. Always the latest, never the one a
     * reading thread happened to hold: snapshots only get newer, so the meters never go back to
     * an older set of backends. {@code always}: even if it was matched already (for a registry
     * just bound to). Under {@link #backendLock}.
     */
    private void matchLatest(boolean always) {
        ProxyStats latest;
        synchronized (this) {
            latest = snapshot;
        }
        if (always || latest != matched) {
            matchBackends(latest.backends());
            matched = latest;
        }
    }

    /**
     * Registers, in every registry bound to, the meters of {@code backends} that have none yet, and
     * removes those of backends not among them. Under {@link #backendLock}.
     */
    private void matchBackends(List<BackendStatus> backends) {
        Set<InetSocketAddress> present = new HashSet<>();
        for (BackendStatus b : backends) {
            present.add(b.address());
        }
        backendMeters.keySet().removeIf(MeterRegistry::isClosed);
        for (Map.Entry<MeterRegistry, Map<InetSocketAddress, List<Meter>>> e : backendMeters.entrySet()) {
            MeterRegistry registry = e.getKey();
            Map<InetSocketAddress, List<Meter>> byBackend = e.getValue();
            for (Iterator<Map.Entry<InetSocketAddress, List<Meter>>> it = byBackend.entrySet().iterator();
                    it.hasNext(); ) {
                Map.Entry<InetSocketAddress, List<Meter>> registered = it.next();
                if (!present.contains(registered.getKey())) {
                    registered.getValue().forEach(registry::remove);
                    it.remove();
                }
            }
            for (InetSocketAddress address : present) {
                if (!byBackend.containsKey(address)) {
                    byBackend.put(address, bindBackend(registry, address));
                }
            }
        }
    }

    private List<Meter> bindBackend(MeterRegistry registry, InetSocketAddress address) {
        Tags t = Tags.of("backend", Addresses.format(address));
        return List.of(
                gauge(registry, "tcpproxy.backend.connections.active", "connections with both legs open", t,
                        m -> m.backend(address, BackendStatus::activeConnections)),
                gauge(registry, "tcpproxy.backend.connections.inactive", "connections connecting or half-closed", t,
                        m -> m.backend(address, BackendStatus::inactiveConnections)),
                counter(registry, "tcpproxy.backend.connections", "connections sent to the backend", t,
                        m -> m.backend(address, BackendStatus::totalConnections)),
                bytes(registry, "tcpproxy.backend.bytes", "bytes relayed", t.and("direction", "client_to_backend"),
                        m -> m.backend(address, BackendStatus::bytesClientToBackend)),
                bytes(registry, "tcpproxy.backend.bytes", "bytes relayed", t.and("direction", "backend_to_client"),
                        m -> m.backend(address, BackendStatus::bytesBackendToClient)),
                counter(registry, "tcpproxy.backend.connect.failures", "connects that failed or timed out", t,
                        m -> m.backend(address, BackendStatus::connectFailures)),
                gauge(registry, "tcpproxy.backend.up", "1 if health checking considers it up, else 0", t,
                        m -> m.backend(address, b -> b.up() ? 1 : 0)),
                gauge(registry, "tcpproxy.backend.weight", "the weight the strategies use now", t,
                        m -> m.backend(address, BackendStatus::effectiveWeight)));
    }

    private void checkNotClosed() {
        backendLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("this TcpProxyMetrics is closed: bind a new one");
            }
        } finally {
            backendLock.unlock();
        }
    }

    /**
     * Whether the gauge the registry handed back is this binder's: registering a meter whose
     * name and tags (after the registry's own filters, such as common tags) are taken returns the
     * meter already there, so another proxy's binder with the same tags would get that one's
     * meters and its own figures would never be seen. Reading the gauge with a probe set tells
     * whose function answers.
     */
    private void checkOurs(Meter active) {
        TcpProxyMetrics[] answered = new TcpProxyMetrics[1];
        PROBE.set(answered);
        try {
            ((Gauge) active).value();
        } finally {
            PROBE.remove();
        }
        if (answered[0] != null && answered[0] != this) {
            throw new IllegalStateException("tcpproxy meters with tags " + tags + " are registered already,"
                    + " for another proxy: give each proxy tags of its own, such as Tags.of(\"proxy\", name),"
                    + " or close() the binder of a proxy that is gone");
        }
    }

    /** Answers {@link #checkOurs}'s probe, if one is set on this thread. */
    private boolean answerProbe() {
        TcpProxyMetrics[] probe = PROBE.get();
        if (probe == null) {
            return false;
        }
        probe[0] = this;
        return true;
    }

    private Meter gauge(MeterRegistry registry, String name, String description, Tags extra,
            ToDoubleFunction<TcpProxyMetrics> f) {
        // Strong: Micrometer holds a meter's object weakly, and the usual one-line bindTo keeps no
        // other reference to this binder; through its gauges the registry keeps it (and so the
        // function counters, which can only hold it weakly) alive.
        return Gauge.builder(name, this, f).strongReference(true).description(description).tags(tags.and(extra))
                .register(registry);
    }

    private Meter counter(MeterRegistry registry, String name, String description, Tags extra,
            ToDoubleFunction<TcpProxyMetrics> f) {
        return FunctionCounter.builder(name, this, f).description(description).tags(tags.and(extra))
                .register(registry);
    }

    private Meter bytes(MeterRegistry registry, String name, String description, Tags extra,
            ToDoubleFunction<TcpProxyMetrics> f) {
        return FunctionCounter.builder(name, this, f).description(description).baseUnit("bytes")
                .tags(tags.and(extra)).register(registry);
    }

    /**
     * The latest snapshot, taken again when older than 100 ms; a new one brings the backend meters
     * in line with its backends, unless another thread is doing that now (it is done at a later
     * read then: a registry's reading thread must not wait on a thread that may be waiting on the
     * registry).
     */
    private ProxyStats stats() {
        ProxyStats s;
        synchronized (this) {
            long now = System.nanoTime();
            if (snapshot == null || now - snapshotAt > SNAPSHOT_NANOS) {
                snapshot = proxy.stats();
                snapshotAt = now;
            }
            s = snapshot;
        }
        if (s != matched && backendLock.tryLock()) {
            try {
                matchLatest(false);
            } finally {
                backendLock.unlock();
            }
        }
        return s;
    }

    private double backend(InetSocketAddress address, ToDoubleFunction<BackendStatus> f) {
        for (BackendStatus b : stats().backends()) {
            if (b.address().equals(address)) {
                return f.applyAsDouble(b);
            }
        }
        return Double.NaN;
    }

}
