package io.github.tcpproxy.strategy;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.spi.BackendView;
import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The shared fixture of the strategy tests: a set of fake backends with settable weight,
 * connection counts, health, limit and exclusion, and the {@link SelectionContext} a strategy
 * sees. Like the engine, it hands out the same list instance until a backend is added or
 * removed. No sockets.
 *
 * <pre>{@code
 * Cluster c = Cluster.of(4, 3, 2);          // A, B, C at 10.0.0.1-3:8080 with these weights
 * c.get("A").active(3).down();
 * assertThat(c.pick(strategy)).isEqualTo("B");
 * c.from("198.51.100.7", 40000).exclude("B").pick(strategy);
 * }</pre>
 */
final class Cluster {
    /** The listen address contexts use unless told otherwise. */
    static final InetSocketAddress LISTEN = address("192.0.2.1", 80);
    /** The client address contexts use unless told otherwise. */
    static final InetSocketAddress CLIENT = address("198.51.100.1", 40000);

    private final List<Node> nodes = new ArrayList<>();
    private volatile List<BackendView> view = List.of();
    private volatile int created;

    private Cluster() {
    }

    /** Backends named A, B, C, ... at 10.0.0.1:8080, 10.0.0.2:8080, ... with these weights. */
    static Cluster of(int... weights) {
        Cluster c = new Cluster();
        for (int w : weights) {
            c.nodes.add(c.newNode(w));
        }
        c.publish();
        return c;
    }

    /** {@code count} backends of weight 1. */
    static Cluster ofSize(int count) {
        int[] weights = new int[count];
        java.util.Arrays.fill(weights, 1);
        return of(weights);
    }

    static InetSocketAddress address(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }

    /** A distinct IPv4 client address for key {@code i} (10,000 of them fit easily). */
    static InetSocketAddress client(int i) {
        return address("172." + (16 + (i >> 16 & 0x0f)) + "." + (i >> 8 & 0xff) + "." + (i & 0xff), 40000 + i % 20000);
    }

    private Node newNode(int weight) {
        int n = created++;
        String name = n < 26 ? String.valueOf((char) ('A' + n)) : "N" + n;
        int k = n + 1;
        return new Node(name, address("10." + (k >> 16 & 0xff) + "." + (k >> 8 & 0xff) + "." + (k & 0xff), 8080), weight);
    }

    private void publish() {
        for (int i = 0; i < nodes.size(); i++) {
            nodes.get(i).index = i;
        }
        view = Collections.unmodifiableList(new ArrayList<>(nodes));
    }

    /** Adds a backend with the next name and address; the list instance changes. */
    Node add(int weight) {
        Node n = newNode(weight);
        nodes.add(n);
        publish();
        return n;
    }

    /** The same backends in a new list instance, as the engine publishes on any backend change. */
    Cluster republish() {
        publish();
        return this;
    }

    /** Removes a backend; the list instance changes. */
    Cluster remove(String name) {
        nodes.remove(get(name));
        publish();
        return this;
    }

    /** Reverses the order of the backends (a new list instance), as another configuration might. */
    Cluster reverse() {
        Collections.reverse(nodes);
        publish();
        return this;
    }

    /** The backend named {@code name}. */
    Node get(String name) {
        for (Node n : nodes) {
            if (n.name.equals(name)) {
                return n;
            }
        }
        throw new IllegalArgumentException("no backend " + name);
    }

    /** The backend at {@code index}. */
    Node get(int index) {
        return nodes.get(index);
    }

    /** Reads of the backends' weight() and isUp() so far, by every strategy and context. */
    long reads() {
        long sum = 0;
        for (Node n : nodes) {
            sum += n.reads.get();
        }
        return sum;
    }

    int size() {
        return nodes.size();
    }

    /** The current list, the same instance until a backend is added or removed. */
    List<BackendView> backends() {
        return view;
    }

    /** A context for the default client and listen address. */
    Context context() {
        return new Context(CLIENT, LISTEN);
    }

    /** A context for this client (default listen address). */
    Context from(String ip, int port) {
        return new Context(address(ip, port), LISTEN);
    }

    /** A context for this client (default listen address). */
    Context from(InetSocketAddress client) {
        return new Context(client, LISTEN);
    }

    /** A context for the default client reaching this listen address. */
    Context to(String ip, int port) {
        return new Context(CLIENT, address(ip, port));
    }

    /** The name of the backend {@code strategy} picks for the default context, "-" for none. */
    String pick(Strategy strategy) {
        return context().pick(strategy);
    }

    /** {@code count} picks for the default context, space-separated. */
    String picks(Strategy strategy, int count) {
        StringJoiner j = new StringJoiner(" ");
        for (int i = 0; i < count; i++) {
            j.add(pick(strategy));
        }
        return j.toString();
    }

    /** How many of {@code count} picks went to each backend, in list order: {@code [A, B, C]}. */
    int[] tally(Strategy strategy, int count) {
        int[] tally = new int[nodes.size()];
        for (int i = 0; i < count; i++) {
            BackendView b = strategy.select(context());
            if (b != null) {
                tally[nodes.indexOf((Node) b)]++;
            }
        }
        return tally;
    }

    /** A fake backend: every field settable, fluent. */
    static final class Node implements BackendView {
        final String name;
        private final InetSocketAddress address;
        private volatile int configuredWeight;
        private volatile int weight;
        private volatile int active;
        private volatile int inactive;
        private volatile boolean up = true;
        private volatile int maxConnections;
        private volatile boolean excluded;
        private volatile int index;
        /** Reads of weight() and isUp(): how much of the backends a strategy looked at. */
        private final AtomicLong reads = new AtomicLong();

        Node(String name, InetSocketAddress address, int weight) {
            this.name = name;
            this.address = address;
            this.configuredWeight = weight;
            this.weight = weight;
        }

        /** Sets the current weight (what a runtime re-weight or drain changes). */
        Node weight(int w) {
            this.weight = w;
            return this;
        }

        /** Sets the configured weight seen through {@link #backend()}. */
        Node configuredWeight(int w) {
            this.configuredWeight = w;
            return this;
        }

        Node active(int n) {
            this.active = n;
            return this;
        }

        Node inactive(int n) {
            this.inactive = n;
            return this;
        }

        Node up() {
            this.up = true;
            return this;
        }

        Node down() {
            this.up = false;
            return this;
        }

        Node maxConnections(int n) {
            this.maxConnections = n;
            return this;
        }

        /** Excludes this backend for every context, as if a connect to it had just failed. */
        Node excluded(boolean e) {
            this.excluded = e;
            return this;
        }

        @Override
        public Backend backend() {
            return Backend.of(address).withWeight(configuredWeight).withMaxConnections(maxConnections);
        }

        @Override
        public InetSocketAddress address() {
            return address;
        }

        @Override
        public int index() {
            return index;
        }

        @Override
        public int weight() {
            reads.incrementAndGet();
            return weight;
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
            reads.incrementAndGet();
            return up;
        }

        @Override
        public boolean isOverloaded() {
            return maxConnections > 0 && active + inactive >= maxConnections;
        }

        @Override
        public String toString() {
            return name + "(w=" + weight + ",a=" + active + ",i=" + inactive + (up ? "" : ",down") + ")";
        }
    }

    /** The question put to a strategy, for one client and one listen address. */
    final class Context implements SelectionContext {
        private final InetSocketAddress client;
        private final InetSocketAddress listen;
        private final List<BackendView> backends = view;
        private final Set<String> excluded = new HashSet<>();

        Context(InetSocketAddress client, InetSocketAddress listen) {
            this.client = client;
            this.listen = listen;
        }

        /** Excludes these backends for this context only. */
        Context exclude(String... names) {
            excluded.addAll(List.of(names));
            return this;
        }

        /** The name of the backend {@code strategy} picks, "-" for none. */
        String pick(Strategy strategy) {
            BackendView b = strategy.select(this);
            return b == null ? "-" : ((Node) b).name;
        }

        @Override
        public InetSocketAddress clientAddress() {
            return client;
        }

        @Override
        public InetSocketAddress listenAddress() {
            return listen;
        }

        @Override
        public List<BackendView> backends() {
            return backends;
        }

        @Override
        public boolean isExcluded(BackendView backend) {
            Node n = (Node) backend;
            return n.excluded || excluded.contains(n.name);
        }
    }
}
