package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import io.github.tcpproxy.spi.StrategyOptions;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.List;
import java.util.Set;

/**
 * IPVS's {@code dh}: a static hash of the destination address onto the backends. On a proxy the
 * destination is the {@linkplain SelectionContext#listenAddress() listen address} the client
 * reached (its IP, not its port), so with one listen address every client goes to the same
 * backend, exactly as IPVS {@code dh} does for one virtual service; with several listen
 * addresses each has its own backend.
 *
 * <p>The table has {@code 2^table-bits} buckets (IPVS: 256) filled with the backends in turn,
 * one bucket each, whatever their weights, so draining a backend reshuffles nothing. If the
 * hashed backend is not eligible the client gets none (IPVS) or, with {@code fallback=true},
 * the backend of the next bucket that is.
 *
 * <p>Thread-safe: the table is immutable, rebuilt when the backend list changes.
 */
public final class DestinationHashStrategy implements Strategy {
    /** IPVS's {@code CONFIG_IP_VS_DH_TAB_BITS} default. */
    public static final int DEFAULT_TABLE_BITS = 8;

    private final int bits;
    private final boolean fallback;
    private volatile BucketTable table;

    /** Destination hashing with IPVS's defaults: 256 buckets, no fallback. */
    public DestinationHashStrategy() {
        this(DEFAULT_TABLE_BITS, false);
    }

    /**
     * Destination hashing with {@code 2^tableBits} buckets.
     *
     * @param fallback whether to try the next buckets when the hashed backend is not eligible
     * @throws IllegalArgumentException if {@code tableBits} is outside 1-20
     */
    public DestinationHashStrategy(int tableBits, boolean fallback) {
        if (tableBits < 1 || tableBits > 20) {
            throw new IllegalArgumentException("destination-hash table bits " + tableBits
                    + " is out of range 1-20");
        }
        this.bits = tableBits;
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
            t = rebuild(backends);
        }
        int bucket = Hashing.hash32(Hashing.fold(context.listenAddress().getAddress()), bits);
        return t.pick(context, bucket, fallback);
    }

    private BucketTable rebuild(List<BackendView> backends) {
        int[] ones = new int[backends.size()];
        java.util.Arrays.fill(ones, 1);
        BucketTable t = BucketTable.build(backends, null, ones, bits);
        table = t;
        return t;
    }

    /**
     * Registers {@code destination-hash} (alias {@code dh}); options {@code table-bits=N}
     * (1-20, default 8) and {@code fallback=true|false} (default false).
     */
    public static final class Provider implements StrategyProvider {
        /** Called by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "destination-hash";
        }

        @Override
        public Set<String> aliases() {
            return Set.of("dh");
        }

        @Override
        public String description() {
            return "a static hash of the listen address the client reached onto the backends"
                    + " (options table-bits=N, fallback=true)";
        }

        @Override
        public Strategy create(StrategyOptions options) {
            options.checkKnown("table-bits", "fallback");
            return new DestinationHashStrategy(options.getInt("table-bits", DEFAULT_TABLE_BITS, 1, 20),
                    options.getBoolean("fallback", false));
        }
    }
}
