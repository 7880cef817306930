/**
 * The tcpproxy engine: {@code java.nio} Selector reactors relaying pairs of non-blocking socket
 * channels. Exports nothing; it {@code provides} the engine that
 * {@link io.github.tcpproxy.TcpProxy} finds with {@link java.util.ServiceLoader}.
 */
module io.github.tcpproxy.nio {
    requires io.github.tcpproxy;
    requires org.slf4j;
    // Optional: the JVM's direct memory limit (BufferBudget), read through the HotSpot MXBean.
    requires static jdk.management;
    // sun.misc.Unsafe.invokeCleaner, to free a relay buffer at once (DirectBuffers).
    requires jdk.unsupported;

    provides io.github.tcpproxy.spi.EngineProvider with io.github.tcpproxy.nio.NioEngineProvider;
}
