package io.github.tcpproxy.junit5;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.fault.Fault;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ExtensionContext.Store;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit 5 extension that gives tests a {@link RunningProxy} in front of a backend, on
 * {@code 127.0.0.1}, port 0.
 *
 * <ul>
 *   <li>In a {@code static} {@link org.junit.jupiter.api.extension.RegisterExtension @RegisterExtension}
 *       field, one proxy serves each test class that registers the extension; it is closed after
 *       that class. Classes that inherit the field from a common base class each get their own
 *       proxy, also when they run in parallel; a {@link org.junit.jupiter.api.Nested @Nested}
 *       class uses the proxy of its enclosing class.</li>
 *   <li>In an instance field, each test gets its own proxy, closed after the test.</li>
 *   <li>A test or lifecycle method (or constructor) can take the proxy as a {@link RunningProxy}
 *       parameter. A parameter without {@link ProxyName @ProxyName} gets the proxy of the one
 *       extension the test has, named or not. With several extensions, name them
 *       ({@link #named}) and pick one with {@code @ProxyName}: a parameter without it then fails
 *       with a {@link ParameterResolutionException} that lists them.</li>
 *   <li>After each test, every fault is removed and a disabled proxy is enabled again, so tests
 *       do not leak faults into each other. Backend changes a test makes (weights, drains,
 *       backends added or removed) are not undone: on a proxy shared by a class, undo them in
 *       the test, or give such tests a proxy of their own (an instance field).</li>
 * </ul>
 *
 * <p>The proxy starts lazily: before the first test, or on the first call of {@link #proxy()},
 * so the backend address may come from a server started in {@code @BeforeAll}:
 *
 * <pre>{@code
 * class PaymentClientTest {
 *     static EchoServer server;            // your real or fake service
 *
 *     @RegisterExtension
 *     static final TcpProxyExtension proxy = TcpProxyExtension.to(() -> server.address());
 *
 *     @BeforeAll
 *     static void startServer() { server = EchoServer.start(); }
 *
 *     @Test
 *     void timesOutOnASlowNetwork(RunningProxy proxy) {
 *         proxy.addFault(Faults.latency(Duration.ofSeconds(2)));  // removed after the test
 *         ...
 *     }
 * }
 * }</pre>
 *
 * <p>Where the proxies live: in JUnit's {@link ExtensionContext.Store} of the class (static
 * field) or test (instance field; under {@code @TestInstance(PER_CLASS)} the class, whose one
 * instance serves all its tests) they serve, keyed by extension instance; the extension object
 * itself holds no proxy. A {@code RunningProxy} parameter, resolved with the test's context, is
 * therefore always the proxy of the test's own class (or test). {@link #proxy()}, {@link #address()}, {@link #port()} and
 * {@link #addFault(Fault) addFault} have no test context, so they find it by thread: the
 * extension notes its proxy on the thread that runs a class's {@code @BeforeAll} and
 * {@code @AfterAll} methods and on the thread that runs each test with its {@code @BeforeEach}
 * and {@code @AfterEach} methods, and forgets it when they end. Called from any other thread (an
 * executor the test started, a test under {@code @Timeout(threadMode = SEPARATE_THREAD)}), they
 * return the proxy of the one class or test that uses the extension at that moment, and throw
 * {@link IllegalStateException} while several classes share a {@code static} extension (a field
 * in a base class, classes run in parallel). Prefer the parameter there.
 *
 * <p>Thread safety: no global state, always port 0, so classes may run in parallel, with
 * extensions of their own or one shared from a base class. A {@code static} extension's proxy is
 * shared by the tests of its class: if those run concurrently ({@code @Execution(CONCURRENT)}),
 * their faults meet on the one proxy, and the clean-up after one test removes the faults of the
 * others. Use an instance field for tests of one class that run concurrently with faults.
 */
public final class TcpProxyExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

    /** Shared by all extensions: which of them serve a class or test, for parameter resolution. */
    private static final Namespace EXTENSIONS = Namespace.create(TcpProxyExtension.class);
    private static final String SCOPE = "scope";
    private static final String BINDING = "thread binding";
    private static final String UNCLAIMED_CLOSER = "unclaimed closer";

    private final String name;
    private final Supplier<TcpProxy.Builder> builder;
    /** This extension's part of JUnit's stores (a namespace is equal only for the same instance). */
    private final Namespace namespace = Namespace.create(TcpProxyExtension.class, this);
    /** The scope of the class or test whose methods run on this thread, for {@link #proxy()}. */
    private final ThreadLocal<Scope> current = new ThreadLocal<>();
    private final Object lock = new Object();
    /** Scopes a class or test uses now; guarded by {@link #lock}. */
    private final Set<Scope> open = new LinkedHashSet<>();
    /**
     * A scope {@link #proxy()} created while no class or test used this extension (before the
     * first, or after the last), for the next one to take over; guarded by {@link #lock}.
     */
    private Scope unclaimed;

    private TcpProxyExtension(String name, Supplier<TcpProxy.Builder> builder) {
        this.name = name;
        this.builder = builder;
    }

    /**
     * A proxy on {@code 127.0.0.1:0} in front of the backend {@code backend} supplies when the
     * proxy starts (so it may be a server started in {@code @BeforeAll}).
     *
     * @throws IllegalArgumentException if {@code backend} is null
     */
    public static TcpProxyExtension to(Supplier<InetSocketAddress> backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend supplier must not be null");
        }
        return new TcpProxyExtension("", () -> TcpProxy.builder()
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .drainTimeout(Duration.ZERO)
                .backend(Backend.of(backend.get())));
    }

    /**
     * A proxy on {@code 127.0.0.1:0} in front of {@code backend}.
     *
     * @throws IllegalArgumentException if {@code backend} is null
     */
    public static TcpProxyExtension to(InetSocketAddress backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend address must not be null");
        }
        return to(() -> backend);
    }

    /**
     * A proxy from the builder {@code builder} supplies when the proxy starts, for full control
     * (several backends, a strategy, timeouts). Let it listen on port 0.
     *
     * @throws IllegalArgumentException if {@code builder} is null
     */
    public static TcpProxyExtension from(Supplier<TcpProxy.Builder> builder) {
        if (builder == null) {
            throw new IllegalArgumentException("builder supplier must not be null");
        }
        return new TcpProxyExtension("", builder);
    }

    /**
     * A copy of this extension under a name, for {@link ProxyName @ProxyName} parameters and
     * messages; needed only when a test has several extensions.
     *
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public TcpProxyExtension named(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("proxy name must not be blank: '" + name + "'");
        }
        return new TcpProxyExtension(name, builder);
    }

    /** The name given with {@link #named}, or the empty string. */
    public String name() {
        return name;
    }

    /**
     * The proxy of the calling test's class (static field) or test (instance field), started on
     * first use.
     *
     * <p>The caller is known by thread: on the thread of a test or lifecycle method this is that
     * test's proxy. On another thread it is the proxy of the one class or test using this
     * extension; called before any does (from a static initializer, say), it starts the proxy that
     * the first class or test to use the extension then takes over; called after the last one
     * ended (from a class without the extension), one that a later class using the extension takes
     * over in the same way, or else that is closed at the end of the run.
     *
     * @throws IllegalStateException from a thread that runs no test or lifecycle method, while
     *     several classes share this extension (take the proxy as a {@link RunningProxy}
     *     parameter instead); or if the builder supplier returns null
     * @throws io.github.tcpproxy.TcpProxyException if it cannot start
     */
    public RunningProxy proxy() {
        return currentScope().proxy();
    }

    /**
     * The address clients connect to: the {@link #proxy()}'s listen address with its real port.
     *
     * @throws IllegalStateException as {@link #proxy()}
     */
    public InetSocketAddress address() {
        return proxy().localAddress();
    }

    /**
     * The {@link #proxy()}'s port.
     *
     * @throws IllegalStateException as {@link #proxy()}
     */
    public int port() {
        return address().getPort();
    }

    /**
     * Adds {@code fault} for every connection: {@code proxy().addFault(fault)}; removed after the test.
     *
     * @throws IllegalStateException as {@link #proxy()}
     */
    public FaultHandle addFault(Fault fault) {
        return proxy().addFault(fault);
    }

    /**
     * {@code proxy().addFault(fault, target)}; removed after the test.
     *
     * @throws IllegalStateException as {@link #proxy()}
     */
    public FaultHandle addFault(Fault fault, FaultTarget target) {
        return proxy().addFault(fault, target);
    }

    /** Gives the class its proxy (not started yet), unless an enclosing class has one. */
    @Override
    public void beforeAll(ExtensionContext context) {
        bind(context, scope(context));
    }

    /** Starts the proxy of the test's class, or of the test for an instance field. */
    @Override
    public void beforeEach(ExtensionContext context) {
        Scope scope = scope(context);
        bind(context, scope);
        scope.proxy();
    }

    /** Closes the test's own proxy, or cleans the class's one for the next test. */
    @Override
    public void afterEach(ExtensionContext context) {
        unbind(context);
        Store store = context.getStore(namespace);
        // remove() looks at this test's own store only; get() also at its classes'.
        Scope own = store.remove(SCOPE, Scope.class);
        if (own != null) {
            own.close();
            return;
        }
        Scope shared = store.get(SCOPE, Scope.class);
        if (shared != null) {
            shared.clean();
        }
    }

    /** Closes the class's proxy; a nested class leaves its enclosing class's one open. */
    @Override
    public void afterAll(ExtensionContext context) {
        unbind(context);
        // Closed here rather than left to the store: JUnit closes AutoCloseable store values only
        // from 5.13 on, and not with junit.jupiter.extensions.store.close.autocloseable.enabled=false.
        Scope own = context.getStore(namespace).remove(SCOPE, Scope.class);
        if (own != null) {
            own.close();
        }
    }

    /**
     * Supports a {@link RunningProxy} parameter with {@link ProxyName @ProxyName} of this
     * extension's name, or without {@code @ProxyName}.
     *
     * @throws ParameterResolutionException for a parameter without {@code @ProxyName} while the
     *     test has several extensions, or one with a name none of them has, naming those it has
     */
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        if (parameter.getParameter().getType() != RunningProxy.class) {
            return false;
        }
        Optional<String> wanted = parameter.findAnnotation(ProxyName.class).map(ProxyName::value);
        if (wanted.isPresent() && wanted.get().equals(name)) {
            return true;
        }
        // Resolved here rather than left to JUnit, whose messages do not say which extensions
        // compete or that no extension has the name (it names extensions by class and hash).
        Set<TcpProxyExtension> serving = serving(context);
        if (!serving.contains(this)) {
            return wanted.isEmpty(); // serving is not known yet (a constructor before beforeAll)
        }
        String names = serving.stream().map(TcpProxyExtension::quotedName).collect(Collectors.joining(", "));
        if (wanted.isPresent()) {
            if (serving.stream().noneMatch(e -> e.name.equals(wanted.get()))) {
                throw new ParameterResolutionException("@ProxyName(\"" + wanted.get() + "\") on "
                        + describe(parameter) + ": no TcpProxyExtension of this test is named '" + wanted.get()
                        + "'; its extensions: " + names);
            }
            return false;
        }
        if (serving.size() > 1) {
            boolean unnamed = serving.stream().anyMatch(e -> e.name.isEmpty());
            throw new ParameterResolutionException(describe(parameter) + " could take the proxy of any of the "
                    + serving.size() + " TcpProxyExtensions of this test (" + names + "): "
                    + (unnamed ? "name each with named(\"...\") and pick" : "pick")
                    + " one with @ProxyName(\"...\") on the parameter");
        }
        return true;
    }

    /**
     * The proxy of the test's class or test, started if it was not.
     *
     * @throws ParameterResolutionException if the proxy cannot start
     */
    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        try {
            return scope(context).proxy();
        } catch (RuntimeException e) {
            throw new ParameterResolutionException(this + " could not start its proxy: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "TcpProxyExtension" + (name.isEmpty() ? "" : " '" + name + "'");
    }

    /**
     * The scope of {@code context}: its own, an enclosing class's (the store looks up its
     * parents), or a new one owned by {@code context}.
     */
    private Scope scope(ExtensionContext context) {
        Store store = context.getStore(namespace);
        // Ends a proxy that proxy() starts once no class uses this extension any more (from a
        // class without the extension, say): nothing else would close it.
        context.getRoot().getStore(namespace).getOrComputeIfAbsent(UNCLAIMED_CLOSER, k -> new UnclaimedCloser(),
                UnclaimedCloser.class);
        synchronized (lock) {
            Scope scope = store.get(SCOPE, Scope.class);
            if (scope == null) {
                scope = unclaimed != null ? unclaimed : new Scope();
                unclaimed = null;
                scope.owner = owner(context);
                open.add(scope);
                store.put(SCOPE, scope);
                ServingKey key = new ServingKey(context.getUniqueId());
                context.getStore(EXTENSIONS).getOrComputeIfAbsent(key, k -> new Serving(), Serving.class)
                        .extensions.add(this);
            }
            return scope;
        }
    }

    /** The scope {@link #proxy()} means on this thread; see there. */
    private Scope currentScope() {
        Scope bound = current.get();
        if (bound != null) {
            return bound;
        }
        synchronized (lock) {
            if (open.size() > 1) {
                String owners = open.stream().map(s -> s.owner).collect(Collectors.joining(", "));
                throw new IllegalStateException(this + " serves " + owners + " at once, and thread '"
                        + Thread.currentThread().getName() + "' runs none of their tests or lifecycle methods,"
                        + " so proxy() (and address(), port(), addFault()) cannot tell whose proxy is meant:"
                        + " take it as a RunningProxy parameter of the test and hand it to this thread");
            }
            if (open.size() == 1) {
                return open.iterator().next();
            }
            if (unclaimed == null) {
                unclaimed = new Scope();
            }
            return unclaimed;
        }
    }

    /** Notes {@code scope} as this thread's until {@link #unbind}, keeping the one it replaces. */
    private void bind(ExtensionContext context, Scope scope) {
        context.getStore(namespace).put(BINDING, new Binding(current.get()));
        current.set(scope);
    }

    /**
     * Puts back the scope {@link #bind} replaced. JUnit runs a class's or test's before and after
     * callbacks on one thread, and whatever else that thread runs in between (work it steals
     * while it waits for tests run in parallel) ends before, so bindings nest.
     */
    private void unbind(ExtensionContext context) {
        Binding binding = context.getStore(namespace).remove(BINDING, Binding.class);
        if (binding == null) {
            return; // beforeAll/beforeEach did not run: an extension before this one failed
        }
        if (binding.previous == null) {
            current.remove();
        } else {
            current.set(binding.previous);
        }
    }

    /** The extensions with a scope for {@code context} or its enclosing classes, outermost first. */
    private static Set<TcpProxyExtension> serving(ExtensionContext context) {
        Deque<ExtensionContext> chain = new ArrayDeque<>();
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            chain.push(c);
        }
        Set<TcpProxyExtension> serving = new LinkedHashSet<>();
        for (ExtensionContext c : chain) {
            Serving s = c.getStore(EXTENSIONS).get(new ServingKey(c.getUniqueId()), Serving.class);
            if (s != null) {
                serving.addAll(s.extensions);
            }
        }
        return serving;
    }

    private static String owner(ExtensionContext context) {
        String testClass = context.getTestClass().map(Class::getSimpleName).orElse(context.getDisplayName());
        return context.getTestMethod().map(m -> "test " + testClass + "." + m.getName() + "()")
                .orElse("class " + testClass);
    }

    private String quotedName() {
        return name.isEmpty() ? "unnamed" : "'" + name + "'";
    }

    private static String describe(ParameterContext parameter) {
        Executable executable = parameter.getDeclaringExecutable();
        String types = Arrays.stream(executable.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(", "));
        String where = executable instanceof Method
                ? executable.getDeclaringClass().getSimpleName() + "." + executable.getName()
                : "constructor " + executable.getDeclaringClass().getSimpleName();
        return "RunningProxy parameter " + parameter.getIndex() + " of " + where + "(" + types + ")";
    }

    /**
     * The proxy of one test class (static field) or one test (instance field), started on first
     * use. Closed by {@link #afterAll} or {@link #afterEach}; it is {@link AutoCloseable} so that
     * JUnit also closes it with its store should neither run.
     */
    private final class Scope implements AutoCloseable {
        /** What uses it ("class OrderTest", "test OrderTest.retries()"), for messages; null while unclaimed. */
        volatile String owner;
        private RunningProxy proxy; // guarded by this
        private boolean closed; // guarded by this

        synchronized RunningProxy proxy() {
            if (closed) {
                throw new IllegalStateException(TcpProxyExtension.this + ": the proxy of " + owner
                        + " was closed when it ended");
            }
            if (proxy == null) {
                TcpProxy.Builder b = builder.get();
                if (b == null) {
                    throw new IllegalStateException(TcpProxyExtension.this + ": the builder supplier returned null");
                }
                proxy = b.start();
            }
            return proxy;
        }

        /** Removes the faults the test that ended left behind and enables the proxy again. */
        void clean() {
            RunningProxy p;
            synchronized (this) {
                p = proxy;
            }
            if (p != null && p.isRunning()) {
                p.removeAllFaults();
                p.enable();
            }
        }

        @Override
        public void close() {
            RunningProxy p;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                p = proxy;
            }
            synchronized (lock) {
                open.remove(this);
            }
            if (p != null) {
                p.close(Duration.ZERO);
            }
        }
    }

    /**
     * Closes, when JUnit closes the root store at the end of the run, the scope {@link #proxy()}
     * created that no class or test then claimed. Both interfaces: JUnit before 5.13 closes only
     * {@code CloseableResource} values, from 5.13 on {@code AutoCloseable} ones too; closing twice
     * does nothing more.
     */
    @SuppressWarnings("deprecation")
    private final class UnclaimedCloser implements Store.CloseableResource, AutoCloseable {
        @Override
        public void close() {
            Scope left;
            synchronized (lock) {
                left = unclaimed;
                unclaimed = null;
            }
            if (left != null) {
                left.close();
            }
        }
    }

    /** The scope a thread had before {@link #bind}; null for none. */
    private record Binding(Scope previous) {
    }

    /** Store key of the extensions with a scope for one context (its own store: get() would look up parents). */
    private record ServingKey(String contextUniqueId) {
    }

    private static final class Serving {
        final Set<TcpProxyExtension> extensions = new CopyOnWriteArraySet<>();
    }
}
