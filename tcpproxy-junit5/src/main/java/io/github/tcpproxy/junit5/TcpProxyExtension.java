package io.github.tcpproxy.junit5;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.fault.Fault;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit 5 extension that gives tests a {@link RunningProxy} in front of a backend, on
 * {@code 127.0.0.1}, port 0.
 *
 * <ul>
 *   <li>In a {@code static} {@link org.junit.jupiter.api.extension.RegisterExtension @RegisterExtension}
 *       field, one proxy serves the whole test class; it is closed after the class.</li>
 *   <li>In an instance field, each test gets its own proxy, closed after the test.</li>
 *   <li>A test (or {@code @BeforeEach}) method can take the proxy as a {@link RunningProxy}
 *       parameter; with several extensions, name them ({@link #named}) and pick one with
 *       {@link ProxyName @ProxyName}.</li>
 *   <li>After each test, every fault is removed and a disabled proxy is enabled again, so tests
 *       do not leak faults into each other.</li>
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
 * <p>Thread safety: no global state, each extension holds its own proxy, always on port 0, so
 * classes may run in parallel. A {@code static} extension is shared by the tests of its class:
 * if those run concurrently ({@code @Execution(CONCURRENT)}), their faults meet on the one
 * proxy, and the clean-up after one test removes the faults of the others. Use an instance field
 * for tests of one class that run concurrently with faults.
 */
public final class TcpProxyExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

    private final String name;
    private final Supplier<TcpProxy.Builder> builder;
    private RunningProxy proxy;
    /** The unique id of the class context whose beforeAll saw this extension first; null for an instance field. */
    private String classScope;

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
     * This extension under a name, for {@link ProxyName @ProxyName} parameters and messages.
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
     * The proxy, started on first use.
     *
     * @throws io.github.tcpproxy.TcpProxyException if it cannot start
     */
    public synchronized RunningProxy proxy() {
        if (proxy == null) {
            TcpProxy.Builder b = builder.get();
            if (b == null) {
                throw new IllegalStateException(this + ": the builder supplier returned null");
            }
            proxy = b.start();
        }
        return proxy;
    }

    /** The address clients connect to: the proxy's listen address with its real port. */
    public InetSocketAddress address() {
        return proxy().localAddress();
    }

    /** The proxy's port. */
    public int port() {
        return address().getPort();
    }

    /** Adds {@code fault} for every connection: {@code proxy().addFault(fault)}; removed after the test. */
    public FaultHandle addFault(Fault fault) {
        return proxy().addFault(fault);
    }

    /** {@code proxy().addFault(fault, target)}; removed after the test. */
    public FaultHandle addFault(Fault fault, FaultTarget target) {
        return proxy().addFault(fault, target);
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) {
        if (classScope == null) {
            classScope = context.getUniqueId();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        proxy();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        RunningProxy p;
        boolean perTest;
        synchronized (this) {
            p = proxy;
            perTest = classScope == null;
            if (perTest) {
                proxy = null;
            }
        }
        if (p == null) {
            return;
        }
        if (perTest) {
            p.close(Duration.ZERO);
        } else if (p.isRunning()) {
            p.removeAllFaults();
            p.enable();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        RunningProxy p;
        synchronized (this) {
            if (!context.getUniqueId().equals(classScope)) {
                return; // a nested class ends; the proxy belongs to the outer one
            }
            p = proxy;
            proxy = null;
            classScope = null;
        }
        if (p != null) {
            p.close(Duration.ZERO);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        if (parameter.getParameter().getType() != RunningProxy.class) {
            return false;
        }
        return parameter.findAnnotation(ProxyName.class).map(ProxyName::value).orElse("").equals(name);
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        try {
            return proxy();
        } catch (RuntimeException e) {
            throw new ParameterResolutionException(this + " could not start its proxy: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "TcpProxyExtension" + (name.isEmpty() ? "" : " '" + name + "'");
    }
}
