package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * IPVS's {@code mh}: Maglev consistent hashing of the client's address (Eisenbud et al., NSDI
 * 2016, section 3.4). Each backend has its own pseudo-random permutation of a lookup table of
 * prime size; the backends take turns claiming their next preferred free entry until the table
 * is full, each claiming as many entries per turn as its share of the weights. A client's hash
 * picks an entry, the entry names its backend.
 *
 * <ul>
 *   <li>Every backend gets its share of the table to within one entry (weights permitting).
 *   <li>Removing one of N backends moves the clients that were on it and few others; adding one
 *       moves about 1/(N+1) of them. Maglev is not perfectly minimal, and how few depends on
 *       the table size per backend: measured with 10 backends, removing one moves under 0.3 % of
 *       the other clients at the default 65537 entries, but about 2 % (at worst 6 %) at IPVS's
 *       4093; with 100 backends, under 0.7 % and about 3 %. That is why our default is 65537,
 *       not IPVS's 4093.
 *   <li>Deterministic: the permutations come from a fixed hash of each backend's IP and port,
 *       the client hash from a fixed hash of its IP (and port with {@code port=true}), and the
 *       backends claim in an order derived from their addresses, not their position in the
 *       configuration; so every proxy with the same backends and weights makes the same choice.
 *   <li>A backend drained to weight 0 keeps its entries with its last positive weight (IPVS's
 *       {@code last_weight}), so quiescing does not reshuffle anyone; a client whose entry names
 *       a backend that is not eligible (drained, down, full, failed) gets none (IPVS), or with
 *       {@code fallback=true} the backend of another entry found by re-hashing, then by walking
 *       the table.
 * </ul>
 *
 * <p>Table size: a prime, default 65537 (IPVS uses 4093: see above), at most 2^20; larger tables follow the
 * weights more finely and disturb fewer clients on a change, at 4 bytes per entry and a rebuild
 * when the backends or weights change that takes about 3 ms at 65537 entries and 80 ms at 2^20.
 * As in IPVS, weights are reduced by their gcd and scaled to at most 63 entries per turn (6
 * bits), so weights past a ratio of 63:1 are followed only roughly.
 *
 * <p>Thread-safe: the table is immutable and replaced when the list or the weights change; the
 * rebuild runs on the thread that first sees the change.
 */
public final class MaglevStrategy implements Strategy {
    /**
     * The default table size, 65537: large enough that removing a backend moves under 1 % of the
     * other clients (the Maglev paper's figure). IPVS's default, 4093 ({@code
     * CONFIG_IP_VS_MH_TAB_INDEX} 12), moves 2-6 % with 10 backends; ask for it with
     * {@code table-size=4093}.
     */
    public static final int DEFAULT_TABLE_SIZE = 65537;
    /**
     * The largest table size accepted, 2^20: the table then takes 4 MiB and a rebuild some tens
     * of milliseconds, on the reactor thread that first sees the change.
     */
    public static final int MAX_TABLE_SIZE = 1 << 20;

    /** IPVS's {@code IP_VS_MH_TAB_BITS}: turns per round fit in 6 bits. */
    private static final int TURN_BITS = 6;
    /** Re-hashing attempts before walking the table when falling back. */
    private static final int FALLBACK_PROBES = 32;
    private static final long OFFSET_SEED = 0x2545F4914F6CDD1DL;
    private static final long SKIP_SEED = 0x9E3779B97F4A7C15L;
    private static final long CLIENT_SEED = 0xD1B54A32D192ED03L;

    private final int tableSize;
    private final boolean port;
    private final boolean fallback;
    private volatile Table table;

    private static final class Table {
        final List<BackendView> backends;
        final int[] weights;
        final int[] tableWeights;
        /** Entry to backend index, -1 when no backend has weight. */
        final int[] lookup;

        Table(List<BackendView> backends, int[] weights, int[] tableWeights, int[] lookup) {
            this.backends = backends;
            this.weights = weights;
            this.tableWeights = tableWeights;
            this.lookup = lookup;
        }
    }

    /** Maglev hashing with the defaults: 65537 entries, client IP only, no fallback. */
    public MaglevStrategy() {
        this(DEFAULT_TABLE_SIZE, false, false);
    }

    /**
     * Maglev hashing with a table of {@code tableSize} entries.
     *
     * @param port whether the client's port is hashed too
     * @param fallback whether to look for another backend when the hashed one is not eligible
     * @throws IllegalArgumentException if {@code tableSize} is not a prime in 2-1048576
     */
    public MaglevStrategy(int tableSize, boolean port, boolean fallback) {
        checkTableSize("maglev", tableSize);
        this.tableSize = tableSize;
        this.port = port;
        this.fallback = fallback;
    }

    private static void checkTableSize(String strategy, long size) {
        if (size < 2 || size > MAX_TABLE_SIZE) {
            throw new IllegalArgumentException("strategy " + strategy + ": option table-size " + size
                    + " is out of range 2-" + MAX_TABLE_SIZE);
        }
        if (!Hashing.isPrime(size)) {
            long above = Hashing.primeAbove(size);
            throw new IllegalArgumentException("strategy " + strategy + ": option table-size " + size
                    + " is not a prime number; " + (above <= MAX_TABLE_SIZE
                            ? "the nearest primes are " + Hashing.primeBelow(size) + " and " + above
                            : "the nearest prime in range is " + Hashing.primeBelow(size)));
        }
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        if (backends.isEmpty()) {
            return null;
        }
        Table t = table;
        if (t == null || t.backends != backends || !Scheduling.sameWeights(t.weights, backends)) {
            t = rebuild(backends, t);
        }
        InetSocketAddress client = context.clientAddress();
        long key = Hashing.mix64(((Hashing.fold(client.getAddress()) & 0xFFFFFFFFL) << 16
                | (port ? client.getPort() : 0)) ^ CLIENT_SEED);
        int[] lookup = t.lookup;
        int entry = Hashing.reduce(key, lookup.length);
        int index = lookup[entry];
        if (index < 0) {
            return null;
        }
        BackendView b = backends.get(index);
        if (context.isEligible(b)) {
            return b;
        }
        if (!fallback || !Scheduling.anyEligible(context, backends)) {
            return null;
        }
        // Re-hash first, as IPVS does, so that the clients of an unavailable backend spread over
        // the others in proportion to their entries instead of piling onto a neighbour.
        for (int probe = 1; probe <= FALLBACK_PROBES; probe++) {
            index = lookup[Hashing.reduce(Hashing.mix64(key + probe), lookup.length)];
            b = backends.get(index);
            if (context.isEligible(b)) {
                return b;
            }
        }
        for (int i = 1; i < lookup.length; i++) {
            b = backends.get(lookup[(entry + i) % lookup.length]);
            if (context.isEligible(b)) {
                return b;
            }
        }
        return null;
    }

    private Table rebuild(List<BackendView> backends, Table previous) {
        int[] weights = Scheduling.weights(backends);
        int[] tableWeights = Hashing.tableWeights(backends,
                previous == null ? null : previous.backends,
                previous == null ? null : previous.tableWeights);
        int[] lookup = previous != null && previous.backends == backends
                && Arrays.equals(previous.tableWeights, tableWeights)
                ? previous.lookup // only a drain or an undrain: the same table
                : populate(backends, tableWeights, tableSize);
        Table t = new Table(backends, weights, tableWeights, lookup);
        table = t;
        return t;
    }

    /** Fills the lookup table (package-private for tests). */
    static int[] populate(List<BackendView> backends, int[] tableWeights, int size) {
        int n = backends.size();
        int[] lookup = new int[size];
        Arrays.fill(lookup, -1);
        int[] turns = Hashing.turns(tableWeights, TURN_BITS);
        long[] order = new long[n];
        int[] next = new int[n];
        int[] skip = new int[n];
        int claimants = 0;
        for (int i = 0; i < n; i++) {
            InetSocketAddress address = backends.get(i).address();
            long h = Hashing.addressHash(address, OFFSET_SEED);
            next[i] = Hashing.reduce(h, size);
            skip[i] = size == 2 ? 1 : Hashing.reduce(Hashing.addressHash(address, SKIP_SEED), size - 1) + 1;
            if (turns[i] > 0) {
                // Claim in the order of the address hash, not of the configuration, so that the
                // table depends only on the set of backends; ties (never in practice) by index.
                order[claimants++] = (h & ~0xFFFFFL) | i;
            }
        }
        if (claimants == 0) {
            return lookup;
        }
        order = Arrays.copyOf(order, claimants);
        Arrays.sort(order);
        // Taken entries as a bitset: the walks near the end of the fill probe many taken entries,
        // and a bitset (1/32 of the table) stays in cache where the table itself may not.
        long[] taken = new long[(size + 63) >>> 6];
        int filled = 0;
        while (true) {
            for (long o : order) {
                int i = (int) (o & 0xFFFFF);
                int c = next[i];
                int step = skip[i];
                for (int turn = 0; turn < turns[i]; turn++) {
                    while ((taken[c >>> 6] & (1L << c)) != 0) {
                        c += step;
                        if (c >= size) {
                            c -= size;
                        }
                    }
                    taken[c >>> 6] |= 1L << c;
                    lookup[c] = i;
                    if (++filled == size) {
                        return lookup;
                    }
                }
                next[i] = c;
            }
        }
    }

    /**
     * Registers {@code maglev} (alias {@code mh}); options {@code table-size=P} (a prime,
     * default 65537), {@code port=true|false} and {@code fallback=true|false} (default false, as
     * IPVS's flags).
     */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "maglev";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("mh");
        }

        @Override
        public String description() {
            return "Maglev consistent hashing of the client address: few clients move when backends change"
                    + " (options table-size=P, port=true, fallback=true)";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown("table-size", "port", "fallback");
            long size = options.getLong("table-size", DEFAULT_TABLE_SIZE, Long.MIN_VALUE, Long.MAX_VALUE);
            checkTableSize(options.strategy(), size);
            return new MaglevStrategy((int) size, options.getBoolean("port", false),
                    options.getBoolean("fallback", false));
        }
    }
}
