package io.github.tcpproxy.fault;

import io.github.tcpproxy.ConnectionInfo;
import io.github.tcpproxy.internal.Addresses;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * Which connections, and which of their directions, a fault applies to. Immutable: each method
 * returns a changed copy. {@link #all()} is every connection, existing and new, both directions.
 *
 * <pre>{@code
 * FaultTarget.all()
 *         .direction(FlowDirection.BACKEND_TO_CLIENT)
 *         .newConnections()        // only clients accepted from now on
 *         .everyNth(3)             // the 3rd, 6th, 9th... of those
 *         .probability(0.5)        // and of those, half, picked at random...
 *         .seed(42);               // ...the same half on every run
 * }</pre>
 *
 * <p>Selection happens once per connection: when the fault is added for connections open then,
 * and when it is accepted for a new one. Its <em>index</em> is its {@link ConnectionInfo#id() id}
 * (1 for the proxy's first connection) for {@link Scope#ALL} and {@link Scope#EXISTING}, and its
 * position among the connections accepted after the fault was added for {@link Scope#NEW}
 * (1 for the first). The probability is rolled from the seed and the connection id, so the same
 * seed picks the same connections when the test opens them in the same order.
 */
public final class FaultTarget {

    /** Which connections, by when they were accepted. */
    public enum Scope {
        /** Connections open when the fault is added and those accepted later. */
        ALL,
        /** Only connections accepted after the fault was added. */
        NEW,
        /** Only connections open when the fault is added. */
        EXISTING
    }

    private static final FaultTarget ALL_CONNECTIONS =
            new FaultTarget(FlowDirection.BOTH, Scope.ALL, 0, 0, null, null, 1.0, null);

    private final FlowDirection direction;
    private final Scope scope;
    private final long first;
    private final long everyNth;
    private final Predicate<? super ConnectionInfo> predicate;
    private final InetSocketAddress backend;
    private final double probability;
    private final Long seed;

    private FaultTarget(FlowDirection direction, Scope scope, long first, long everyNth,
            Predicate<? super ConnectionInfo> predicate, InetSocketAddress backend, double probability, Long seed) {
        this.direction = direction;
        this.scope = scope;
        this.first = first;
        this.everyNth = everyNth;
        this.predicate = predicate;
        this.backend = backend;
        this.probability = probability;
        this.seed = seed;
    }

    /** Every connection, existing and new, in both directions, with probability 1. */
    public static FaultTarget all() {
        return ALL_CONNECTIONS;
    }

    /**
     * Only direction {@code direction}.
     *
     * @throws IllegalArgumentException if it is null
     */
    public FaultTarget direction(FlowDirection direction) {
        if (direction == null) {
            throw new IllegalArgumentException("direction must not be null");
        }
        return new FaultTarget(direction, scope, first, everyNth, predicate, backend, probability, seed);
    }

    /**
     * Only these connections, by when they were accepted.
     *
     * @throws IllegalArgumentException if it is null
     */
    public FaultTarget scope(Scope scope) {
        if (scope == null) {
            throw new IllegalArgumentException("scope must not be null");
        }
        return new FaultTarget(direction, scope, first, everyNth, predicate, backend, probability, seed);
    }

    /** Only connections accepted after the fault was added: {@code scope(Scope.NEW)}. */
    public FaultTarget newConnections() {
        return scope(Scope.NEW);
    }

    /** Only connections open when the fault is added: {@code scope(Scope.EXISTING)}. */
    public FaultTarget existingConnections() {
        return scope(Scope.EXISTING);
    }

    /**
     * Only the connections with index 1 to {@code n} (see the class comment for the index).
     *
     * @throws IllegalArgumentException if {@code n} is below 1
     */
    public FaultTarget first(long n) {
        if (n < 1) {
            throw new IllegalArgumentException("first(" + n + "): the count must be at least 1");
        }
        return new FaultTarget(direction, scope, n, everyNth, predicate, backend, probability, seed);
    }

    /**
     * Only every {@code n}th connection: index n, 2n, 3n... ({@code everyNth(1)} is all of them).
     *
     * @throws IllegalArgumentException if {@code n} is below 1
     */
    public FaultTarget everyNth(long n) {
        if (n < 1) {
            throw new IllegalArgumentException("everyNth(" + n + "): n must be at least 1");
        }
        return new FaultTarget(direction, scope, first, n, predicate, backend, probability, seed);
    }

    /**
     * Only connections {@code predicate} accepts. It runs on a reactor thread, once per
     * connection, and must be fast; for a new connection it runs at accept time (with
     * {@code acceptProxyProtocol}, once the header has given the client's address), when
     * {@link ConnectionInfo#backend()} is still null: aim at a backend with {@link #backend}.
     *
     * @throws IllegalArgumentException if it is null
     */
    public FaultTarget where(Predicate<? super ConnectionInfo> predicate) {
        if (predicate == null) {
            throw new IllegalArgumentException("predicate must not be null");
        }
        return new FaultTarget(direction, scope, first, everyNth, predicate, backend, probability, seed);
    }

    /**
     * Only connections to the backend at {@code address}: the fault acts on a connection once
     * that backend is chosen for it (and {@link ConnectionFault#allowConnect} is asked only for
     * it), so other backends are not touched. It is started when that backend has been chosen,
     * just before the connect (so {@link FaultContext#backend()} is still null in
     * {@link ConnectionFault#start()}, as for a fault started at accept), and stopped if a failed
     * connect moves the connection on to another backend. An unresolved address is resolved now,
     * as {@link io.github.tcpproxy.Backend#of(InetSocketAddress)} resolves backends'.
     *
     * @throws IllegalArgumentException if it is null or cannot be resolved
     */
    public FaultTarget backend(InetSocketAddress address) {
        if (address == null) {
            throw new IllegalArgumentException("backend address must not be null");
        }
        InetSocketAddress resolved = address.isUnresolved()
                ? Addresses.resolve("backend", address.getHostString(), address.getPort()) : address;
        return new FaultTarget(direction, scope, first, everyNth, predicate, resolved, probability, seed);
    }

    /**
     * Applies to each otherwise selected connection with probability {@code p}, rolled once per
     * connection from the {@link #seed}.
     *
     * @throws IllegalArgumentException if {@code p} is not within 0 and 1
     */
    public FaultTarget probability(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("probability " + p + " is not within 0 and 1");
        }
        // + 0.0 turns -0.0 into 0.0, which equals() (==) and hashCode() (Double.hashCode) agree on.
        return new FaultTarget(direction, scope, first, everyNth, predicate, backend, p + 0.0, seed);
    }

    /**
     * The seed of the probability rolls and of the fault's random draws, so a run can be
     * repeated. Without one a seed is picked when the fault is added ({@link FaultHandle#seed()}).
     */
    public FaultTarget seed(long seed) {
        return new FaultTarget(direction, scope, first, everyNth, predicate, backend, probability, seed);
    }

    /** The directions. */
    public FlowDirection direction() {
        return direction;
    }

    /** The connections by when they were accepted. */
    public Scope scope() {
        return scope;
    }

    /** The count of {@link #first(long)}, or 0 for no such limit. */
    public long first() {
        return first;
    }

    /** The n of {@link #everyNth(long)}, or 0 for none. */
    public long everyNth() {
        return everyNth;
    }

    /** The predicate of {@link #where}, or null. */
    public Predicate<? super ConnectionInfo> predicate() {
        return predicate;
    }

    /** The backend of {@link #backend(InetSocketAddress)}, or null for every backend. */
    public InetSocketAddress backend() {
        return backend;
    }

    /** The probability, 1 unless set. */
    public double probability() {
        return probability;
    }

    /** The seed, if one was set. */
    public OptionalLong seed() {
        return seed == null ? OptionalLong.empty() : OptionalLong.of(seed);
    }

    /**
     * Whether a connection with this {@code index} (see the class comment) passes
     * {@link #first}, {@link #everyNth} and the probability rolled with {@code seed} for the
     * connection with id {@code connectionId}. The predicate and the backend are not checked here.
     */
    public boolean selects(long index, long connectionId, long seed) {
        if (first > 0 && index > first) {
            return false;
        }
        if (everyNth > 0 && index % everyNth != 0) {
            return false;
        }
        return probability >= 1 || roll(seed, connectionId) < probability;
    }

    /** A uniform double in [0, 1) fixed by {@code seed} and {@code connectionId}. */
    static double roll(long seed, long connectionId) {
        long z = seed + connectionId * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FaultTarget t && direction == t.direction && scope == t.scope && first == t.first
                && everyNth == t.everyNth && Objects.equals(predicate, t.predicate)
                && Objects.equals(backend, t.backend) && probability == t.probability
                && Objects.equals(seed, t.seed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(direction, scope, first, everyNth, predicate, backend, probability, seed);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("FaultTarget[").append(direction).append(", ").append(scope);
        if (first > 0) {
            s.append(", first ").append(first);
        }
        if (everyNth > 0) {
            s.append(", every ").append(everyNth).append("th");
        }
        if (predicate != null) {
            s.append(", where ").append(predicate);
        }
        if (backend != null) {
            s.append(", backend ").append(Addresses.format(backend));
        }
        if (probability < 1) {
            s.append(", probability ").append(probability);
        }
        if (seed != null) {
            s.append(", seed ").append(seed);
        }
        return s.append(']').toString();
    }
}
