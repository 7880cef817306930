package io.github.tcpproxy.bench.jmh;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategies;
import io.github.tcpproxy.spi.Strategy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One strategy decision: {@code Strategy.select} over 10 or 1,000 backends with varied weights
 * and connection counts, for clients from 1,024 different addresses (so that hashing strategies
 * see different keys). Strategies are created by name through {@link Strategies#create(String)};
 * {@code java -jar tcpproxy-bench.jar jmh} passes every name found on the class path, so strategies
 * added later are measured without changing this class.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class StrategyBench {
    /** Strategy name, with options if any ({@code maglev,table-size=65537}). */
    @Param({"round-robin", "random"})
    public String strategy;

    /** Number of backends. */
    @Param({"10", "1000"})
    public int backends;

    private Strategy selector;
    private Context[] contexts;
    private int next;

    /** Builds the strategy and the backend views. */
    @Setup
    public void setUp() throws UnknownHostException {
        selector = Strategies.create(strategy);
        SplittableRandom random = new SplittableRandom(42);
        List<BackendView> views = new ArrayList<>();
        for (int i = 0; i < backends; i++) {
            byte[] ip = {10, 0, (byte) (i >> 8), (byte) i};
            Backend b = Backend.of(new InetSocketAddress(InetAddress.getByAddress(ip), 8080))
                    .withWeight(1 + random.nextInt(5));
            views.add(new View(b, i, random.nextInt(100), random.nextInt(10)));
        }
        List<BackendView> shared = List.copyOf(views);
        InetSocketAddress listen = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 8000);
        contexts = new Context[1024];
        for (int i = 0; i < contexts.length; i++) {
            byte[] ip = {(byte) 192, (byte) 168, (byte) (i >> 8), (byte) i};
            contexts[i] = new Context(new InetSocketAddress(InetAddress.getByAddress(ip), 40000 + i), listen, shared);
        }
    }

    /** One decision for the next client. */
    @Benchmark
    public BackendView select() {
        Context c = contexts[next++ & (contexts.length - 1)];
        return selector.select(c);
    }

    /** A fixed backend view: the counters do not move during the benchmark. */
    private static final class View implements BackendView {
        private final Backend backend;
        private final int index;
        private final int active;
        private final int inactive;

        View(Backend backend, int index, int active, int inactive) {
            this.backend = backend;
            this.index = index;
            this.active = active;
            this.inactive = inactive;
        }

        @Override
        public Backend backend() {
            return backend;
        }

        @Override
        public int index() {
            return index;
        }

        @Override
        public int weight() {
            return backend.weight();
        }

        @Override
        public int activeConnections() {
            return active;
        }

        @Override
        public int inactiveConnections() {
            return inactive;
        }

        @Override
        public boolean isUp() {
            return true;
        }
    }

    private record Context(InetSocketAddress clientAddress, InetSocketAddress listenAddress,
            List<BackendView> backends) implements SelectionContext {
        @Override
        public boolean isExcluded(BackendView backend) {
            return false;
        }
    }
}
