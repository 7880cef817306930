package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

/**
 * IPVS's {@code sh}: a static hash of the client's address onto the backends, so the same
 * client always reaches the same backend while the backends stay the same.
 *
 * <p>The table has {@code 2^table-bits} buckets (IPVS: 256); each backend takes a run of
 * buckets in proportion to its weight (weight / gcd of the weights, scaled down if a round would
 * not fit). The bucket is IPVS's {@code hash_32} of the client's IP (IPv6 folded to 32 bits),
 * plus its port with {@code port=true}. If the hashed backend is not eligible the client gets
 * none (IPVS) or, with {@code fallback=true}, the backend of the next bucket that is.
 *
 * <p>Unlike IPVS, a backend drained to weight 0 keeps its buckets (with the last weight it had,
 * as IPVS {@code mh} does), so that draining one backend does not move the clients of the
 * others; its own clients fall back or fail. Adding, removing or re-weighting a backend rebuilds
 * the table, which moves many clients: use {@link MaglevStrategy} when that matters.
 *
 * <p>Thread-safe: the table is immutable, rebuilt when the list or the weights change.
 */
public final class SourceHashStrategy implements Strategy {
    /** IPVS's {@code CONFIG_IP_VS_SH_TAB_BITS} default. */
    public static final int DEFAULT_TABLE_BITS = 8;

    private final int bits;
    private final boolean port;
    private final boolean fallback;
    private volatile BucketTable table;

    /** Source hashing with IPVS's defaults: 256 buckets, client IP only, no fallback. */
    public SourceHashStrategy() {
        this(DEFAULT_TABLE_BITS, false, false);
    }

    /**
     * Source hashing with {@code 2^tableBits} buckets.
     *
     * @param port whether the client's port is hashed too (then one client's connections spread)
     * @param fallback whether to try the next buckets when the hashed backend is not eligible
     * @throws IllegalArgumentException if {@code tableBits} is outside 1-20
     */
    public SourceHashStrategy(int tableBits, boolean port, boolean fallback) {
        if (tableBits < 1 || tableBits > 20) {
            throw new IllegalArgumentException("source-hash table bits " + tableBits
                    + " is out of range 1-20");
        }
        this.bits = tableBits;
        this.port = port;
        this.fallback = fallback;
    }

    @Override
    public BackendView select(SelectionContext context) {
        List<BackendView> backends = context.backends();
        if (backends.isEmpty()) {
            return null;
        }
        BucketTable t = table;
        if (t == null || !t.isFor(backends)) {
            t = rebuild(backends, t);
        }
        InetSocketAddress client = context.clientAddress();
        int key = Hashing.fold(client.getAddress()) + (port ? client.getPort() : 0);
        return t.pick(context, Hashing.hash32(key, bits), fallback);
    }

    private BucketTable rebuild(List<BackendView> backends, BucketTable previous) {
        int[] weights = Scheduling.weights(backends);
        int[] tableWeights = Hashing.tableWeights(backends,
                previous == null ? null : previous.backends,
                previous == null ? null : previous.tableWeights);
        BucketTable t = BucketTable.build(backends, weights, tableWeights, bits);
        table = t;
        return t;
    }

    /**
     * Registers {@code source-hash} (alias {@code sh}); options {@code port=true|false} and
     * {@code fallback=true|false} (both default false, as IPVS's flags) and {@code table-bits=N}
     * (1-20, default 8).
     */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "source-hash";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("sh");
        }

        @Override
        public String description() {
            return "a static hash of the client address: same client, same backend"
                    + " (options port=true, fallback=true, table-bits=N)";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown("port", "fallback", "table-bits");
            return new SourceHashStrategy(options.getInt("table-bits", DEFAULT_TABLE_BITS, 1, 20),
                    options.getBoolean("port", false), options.getBoolean("fallback", false));
        }
    }
}
