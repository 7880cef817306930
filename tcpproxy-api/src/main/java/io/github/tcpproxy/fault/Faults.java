package io.github.tcpproxy.fault;

import io.github.tcpproxy.internal.Nanos;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * The built-in faults. Each is a stateless, reusable {@link Fault}; aim it with a
 * {@link FaultTarget} when adding it:
 *
 * <pre>{@code
 * try (FaultHandle slow = proxy.addFault(Faults.latency(Duration.ofMillis(200)),
 *         FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT))) {
 *     // every chunk from the backend now arrives 200 ms later
 * }
 * }</pre>
 *
 * <p>Faults that hold data keep it in the connection's relay buffer (one per direction) and stop
 * reading from that side meanwhile: a delay applies to each chunk as the proxy reads it (up to the
 * configured buffer size), and order is always kept.
 */
public final class Faults {
    private Faults() {
    }

    /**
     * Delays every chunk by {@code latency}.
     *
     * @throws IllegalArgumentException if it is null or negative
     */
    public static Fault latency(Duration latency) {
        return latency(latency, Duration.ZERO, Jitter.UNIFORM);
    }

    /**
     * Delays every chunk by {@code latency} plus a random jitter drawn per chunk (never below
     * zero in total), keeping the order of the data. The delay counts from when the proxy reads
     * the chunk; as the proxy holds one chunk per direction at a time (memory stays bounded), a
     * stream through a large latency also slows to about one buffer per delay.
     *
     * @throws IllegalArgumentException if an argument is null or a duration negative
     */
    public static Fault latency(Duration latency, Duration jitter, Jitter distribution) {
        long base = nanos("latency", latency);
        long spread = nanos("jitter", jitter);
        if (distribution == null) {
            throw new IllegalArgumentException("jitter distribution must not be null");
        }
        return new Named("latency " + ms(latency)
                + (spread > 0 ? " ± " + ms(jitter) + " " + distribution.name().toLowerCase() : ""),
                ctx -> new Latency(ctx, base, spread, distribution));
    }

    /**
     * Limits each targeted direction of each connection to {@code bytesPerSecond} (a token bucket
     * holding 50 ms worth of bytes, so bursts stay small).
     *
     * @throws IllegalArgumentException if it is below 1
     */
    public static Fault bandwidth(long bytesPerSecond) {
        if (bytesPerSecond < 1) {
            throw new IllegalArgumentException("bandwidth " + bytesPerSecond + " bytes/s must be at least 1");
        }
        return new Named("bandwidth " + bytesPerSecond + " bytes/s", ctx -> new Bandwidth(ctx, bytesPerSecond));
    }

    /**
     * Cuts the data into slices of {@code averageSize} ± {@code sizeVariation} bytes (uniform) and
     * waits {@code delay} between slices; each slice is written on its own.
     *
     * @throws IllegalArgumentException if the size is below 1, the variation negative or not
     *     below the size, or the delay null or negative
     */
    public static Fault slicer(int averageSize, int sizeVariation, Duration delay) {
        if (averageSize < 1) {
            throw new IllegalArgumentException("slice size " + averageSize + " must be at least 1");
        }
        if (sizeVariation < 0 || sizeVariation >= averageSize) {
            throw new IllegalArgumentException("slice size variation " + sizeVariation
                    + " must be at least 0 and below the size " + averageSize);
        }
        long pause = nanos("slice delay", delay);
        return new Named("slicer " + averageSize + "±" + sizeVariation + " bytes every " + ms(delay),
                ctx -> new Slicer(ctx, averageSize, sizeVariation, pause));
    }

    /** {@link #limitData(long, Ending)} with an orderly close. */
    public static Fault limitData(long bytes) {
        return limitData(bytes, Ending.CLOSE);
    }

    /**
     * Passes exactly {@code bytes} bytes in each targeted direction, then ends the connection as
     * {@code ending} says; 0 ends it at once.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative or {@code ending} null
     */
    public static Fault limitData(long bytes, Ending ending) {
        if (bytes < 0) {
            throw new IllegalArgumentException("data limit " + bytes + " bytes must not be negative");
        }
        if (ending == null) {
            throw new IllegalArgumentException("ending must not be null");
        }
        return new Named("limit-data " + bytes + " bytes then " + ending.name().toLowerCase(),
                ctx -> new LimitData(ctx, bytes, ending));
    }

    /** {@link #limitData(long, Ending)} with an orderly close: ends the connection after {@code bytes}. */
    public static Fault closeAfterBytes(long bytes) {
        return limitData(bytes, Ending.CLOSE);
    }

    /** {@link #limitData(long, Ending)} with a reset: resets the connection after {@code bytes}. */
    public static Fault resetAfterBytes(long bytes) {
        return limitData(bytes, Ending.RESET);
    }

    /**
     * A black hole: passes no data in the targeted directions (held, not dropped: the senders
     * block once the socket buffers are full) and, if {@code closeAfter} is not zero, closes the
     * connection that long after the fault started on it. {@link Duration#ZERO} holds forever,
     * until the fault is removed; then the held data flows on.
     *
     * @throws IllegalArgumentException if it is null or negative
     */
    public static Fault timeout(Duration closeAfter) {
        long after = nanos("timeout", closeAfter);
        return new Named("timeout " + ms(closeAfter), ctx -> new Timeout(ctx, after));
    }

    /** A black hole that never closes: {@code timeout(Duration.ZERO)}. */
    public static Fault blackHole() {
        return timeout(Duration.ZERO);
    }

    /**
     * Closes each connection in an orderly way {@code after} the fault started on it, even while
     * data flows.
     *
     * @throws IllegalArgumentException if it is null or negative
     */
    public static Fault closeAfter(Duration after) {
        return endAfter(after, Ending.CLOSE);
    }

    /**
     * Resets each connection {@code after} the fault started on it, even while data flows.
     *
     * @throws IllegalArgumentException if it is null or negative
     */
    public static Fault resetAfter(Duration after) {
        return endAfter(after, Ending.RESET);
    }

    private static Fault endAfter(Duration after, Ending ending) {
        long nanos = nanos(ending == Ending.RESET ? "reset-after" : "close-after", after);
        return new Named((ending == Ending.RESET ? "reset" : "close") + " after " + ms(after),
                ctx -> new EndAfter(ctx, nanos, ending));
    }

    /**
     * Delays passing on a close (a FIN) by {@code delay} in the targeted directions.
     *
     * @throws IllegalArgumentException if it is null or negative
     */
    public static Fault slowClose(Duration delay) {
        long nanos = nanos("slow-close delay", delay);
        return new Named("slow-close " + ms(delay), ctx -> new SlowClose(ctx, nanos));
    }

    /**
     * Freezes the connections: no data and no close passes in the targeted directions (both by
     * default), nothing is dropped and nothing is closed. Removing the fault unfreezes them, and
     * every held byte flows on.
     */
    public static Fault freeze() {
        return new Named("freeze", ctx -> new Freeze());
    }

    /**
     * Refuses new clients: the proxy stops listening while this fault is in force (clients get
     * "connection refused") and listens on the same port again when it is removed. Open
     * connections are not touched; the target does not matter.
     */
    public static Fault refuseConnections() {
        return new Refuse();
    }

    /**
     * Accepts clients and resets them at once, before any backend is contacted (for a connection
     * open when the fault is added: resets it). Typically aimed at
     * {@link FaultTarget#newConnections()}.
     */
    public static Fault acceptThenReset() {
        return new Named("accept-then-reset", ctx -> new ConnectionFault() {
            @Override
            public void start() {
                ctx.reset();
            }
        });
    }

    /**
     * Holds the first bytes of each connection (in the targeted directions) until {@code delay}
     * after the fault started on it: the time a new client waits for its first byte.
     *
     * @throws IllegalArgumentException if it is null or negative
     */
    public static Fault delayFirstByte(Duration delay) {
        long nanos = nanos("first-byte delay", delay);
        return new Named("delay-first-byte " + ms(delay), ctx -> new DelayUntil(ctx, nanos));
    }

    /**
     * Makes backends look down through the proxy: connecting to one fails as if it refused (the
     * proxy counts a connect failure and tries another backend), and connections open to it are
     * reset. Aim it at one backend with {@link FaultTarget#backend(InetSocketAddress)} to leave
     * the others alone.
     */
    public static Fault backendDown() {
        return new Named("backend-down", ctx -> new ConnectionFault() {
            @Override
            public void start() {
                if (ctx.backend() != null) {
                    ctx.reset();
                }
            }

            @Override
            public boolean allowConnect(InetSocketAddress backend) {
                return false;
            }
        });
    }

    private static long nanos(String what, Duration d) {
        if (d == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + " " + d + " must not be negative");
        }
        return Nanos.of(d); // cut as the engine cuts its own timeouts
    }

    /** {@code d} for a fault's name: "250 ms", or ISO-8601 when too long for milliseconds. */
    private static String ms(Duration d) {
        return Nanos.isCut(d) ? d.toString() : d.toMillis() + " ms";
    }

    private static int index(FlowDirection flow) {
        return flow == FlowDirection.CLIENT_TO_BACKEND ? 0 : 1;
    }

    /** A fault with a readable name. */
    private static final class Named implements Fault {
        private final String name;
        private final Fault factory;

        Named(String name, Fault factory) {
            this.name = name;
            this.factory = factory;
        }

        @Override
        public ConnectionFault attach(FaultContext connection) {
            return factory.attach(connection);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final class Refuse implements Fault {
        @Override
        public ConnectionFault attach(FaultContext connection) {
            return null;
        }

        @Override
        public boolean refusesNewConnections() {
            return true;
        }

        @Override
        public String toString() {
            return "refuse-connections";
        }
    }

    private static final class Latency implements ConnectionFault {
        private final FaultContext ctx;
        private final long base;
        private final long spread;
        private final Jitter distribution;
        private final long[] chunk = new long[2];
        private final long[] release = new long[2];
        private final boolean[] known = new boolean[2];

        Latency(FaultContext ctx, long base, long spread, Jitter distribution) {
            this.ctx = ctx;
            this.base = base;
            this.spread = spread;
            this.distribution = distribution;
        }

        @Override
        public int allow(FlowDirection flow, int available, long readNanos) {
            int i = index(flow);
            if (!known[i] || chunk[i] != readNanos) {
                known[i] = true;
                chunk[i] = readNanos;
                release[i] = readNanos + delay(ctx.random());
            }
            if (ctx.nanoTime() - release[i] >= 0) {
                return available;
            }
            ctx.resumeAt(flow, release[i]);
            return 0;
        }

        private long delay(RandomGenerator random) {
            if (spread == 0) {
                return base;
            }
            double offset = distribution == Jitter.NORMAL ? random.nextGaussian() * spread
                    : (random.nextDouble() * 2 - 1) * spread;
            // In double, cut to [0, 2^62]: base + a long offset could wrap round for huge values.
            double delay = base + offset;
            return delay <= 0 ? 0 : delay >= Nanos.MAX ? Nanos.MAX : (long) delay;
        }
    }

    private static final class Bandwidth implements ConnectionFault {
        private final FaultContext ctx;
        private final double rate;
        private final double capacity;
        private final double[] tokens = new double[2];
        private final long[] refilled = new long[2];

        Bandwidth(FaultContext ctx, long bytesPerSecond) {
            this.ctx = ctx;
            this.rate = bytesPerSecond / 1e9;
            this.capacity = Math.max(1, bytesPerSecond / 20.0);
            long now = ctx.nanoTime();
            for (int i = 0; i < 2; i++) {
                tokens[i] = capacity;
                refilled[i] = now;
            }
        }

        @Override
        public int allow(FlowDirection flow, int available, long readNanos) {
            int i = index(flow);
            long now = ctx.nanoTime();
            tokens[i] = Math.min(capacity, tokens[i] + (now - refilled[i]) * rate);
            refilled[i] = now;
            double need = Math.min(available, capacity);
            if (tokens[i] >= need) {
                return (int) Math.min(available, (long) tokens[i]);
            }
            ctx.resumeAt(flow, now + (long) Math.ceil((need - tokens[i]) / rate));
            return 0;
        }

        @Override
        public void passed(FlowDirection flow, int bytes) {
            tokens[index(flow)] -= bytes;
        }
    }

    private static final class Slicer implements ConnectionFault {
        private final FaultContext ctx;
        private final int size;
        private final int variation;
        private final long pause;
        private final int[] left = new int[2];
        private final long[] next = new long[2];

        Slicer(FaultContext ctx, int size, int variation, long pause) {
            this.ctx = ctx;
            this.size = size;
            this.variation = variation;
            this.pause = pause;
            long now = ctx.nanoTime();
            next[0] = now;
            next[1] = now;
        }

        @Override
        public int allow(FlowDirection flow, int available, long readNanos) {
            int i = index(flow);
            if (ctx.nanoTime() - next[i] < 0) {
                ctx.resumeAt(flow, next[i]);
                return 0;
            }
            if (left[i] == 0) {
                left[i] = variation == 0 ? size : size + ctx.random().nextInt(-variation, variation + 1);
            }
            return Math.min(available, left[i]);
        }

        @Override
        public void passed(FlowDirection flow, int bytes) {
            int i = index(flow);
            left[i] = Math.max(0, left[i] - bytes);
            if (left[i] == 0) {
                next[i] = ctx.nanoTime() + pause;
            }
        }
    }

    private static final class LimitData implements ConnectionFault {
        private final FaultContext ctx;
        private final long limit;
        private final Ending ending;
        private final long[] passed = new long[2];
        private boolean ended;

        LimitData(FaultContext ctx, long limit, Ending ending) {
            this.ctx = ctx;
            this.limit = limit;
            this.ending = ending;
        }

        @Override
        public void start() {
            if (limit == 0) {
                end();
            }
        }

        @Override
        public int allow(FlowDirection flow, int available, long readNanos) {
            long left = limit - passed[index(flow)];
            if (left <= 0) {
                end();
                return 0;
            }
            return (int) Math.min(available, left);
        }

        @Override
        public void passed(FlowDirection flow, int bytes) {
            int i = index(flow);
            passed[i] += bytes;
            if (passed[i] >= limit) {
                end();
            }
        }

        private void end() {
            if (!ended) {
                ended = true;
                ctx.end(ending);
            }
        }
    }

    private static final class Timeout implements ConnectionFault {
        private final FaultContext ctx;
        private final long after;

        Timeout(FaultContext ctx, long after) {
            this.ctx = ctx;
            this.after = after;
        }

        @Override
        public void start() {
            if (after > 0) {
                ctx.schedule(ctx.nanoTime() + after, ctx::close);
            }
        }

        @Override
        public int allow(FlowDirection flow, int available, long readNanos) {
            return 0;
        }

        @Override
        public boolean allowEnd(FlowDirection flow) {
            return false;
        }
    }

    private static final class EndAfter implements ConnectionFault {
        private final FaultContext ctx;
        private final long after;
        private final Ending ending;

        EndAfter(FaultContext ctx, long after, Ending ending) {
            this.ctx = ctx;
            this.after = after;
            this.ending = ending;
        }

        @Override
        public void start() {
            ctx.schedule(ctx.nanoTime() + after, () -> ctx.end(ending));
        }
    }

    private static final class SlowClose implements ConnectionFault {
        private final FaultContext ctx;
        private final long delay;
        private final long[] seen = new long[2];
        private final boolean[] known = new boolean[2];

        SlowClose(FaultContext ctx, long delay) {
            this.ctx = ctx;
            this.delay = delay;
        }

        @Override
        public boolean allowEnd(FlowDirection flow) {
            int i = index(flow);
            long now = ctx.nanoTime();
            if (!known[i]) {
                known[i] = true;
                seen[i] = now;
            }
            if (now - (seen[i] + delay) >= 0) {
                return true;
            }
            ctx.resumeAt(flow, seen[i] + delay);
            return false;
        }
    }

    private static final class Freeze implements ConnectionFault {
        @Override
        public int allow(FlowDirection flow, int available, long readNanos) {
            return 0;
        }

        @Override
        public boolean allowEnd(FlowDirection flow) {
            return false;
        }
    }

    private static final class DelayUntil implements ConnectionFault {
        private final FaultContext ctx;
        private final long until;

        DelayUntil(FaultContext ctx, long delay) {
            this.ctx = ctx;
            this.until = ctx.nanoTime() + delay;
        }

        @Override
        public int allow(FlowDirection flow, int available, long readNanos) {
            if (ctx.nanoTime() - until >= 0) {
                return available;
            }
            ctx.resumeAt(flow, until);
            return 0;
        }
    }
}
