/**
 * The tcpproxy engine: {@code java.nio} Selector reactors relaying pairs of non-blocking socket
 * channels. Exports nothing; it {@code provides} the engine that
 * {@link io.github.tcpproxy.TcpProxy} finds with {@link java.util.ServiceLoader}.
 */
module io.github.tcpproxy.nio {
    requires io.github.tcpproxy;
    requires org.slf4j;

    provides io.github.tcpproxy.spi.EngineProvider with io.github.tcpproxy.nio.NioEngineProvider;
}
