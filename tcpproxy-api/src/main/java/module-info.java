/**
 * The public API of tcpproxy: {@link io.github.tcpproxy.TcpProxy} and its builder, the
 * {@link io.github.tcpproxy.RunningProxy} handle, the strategy and engine service-provider
 * interfaces, and the built-in strategies.
 *
 * <p>This module holds no engine: add {@code io.github.tcpproxy:tcpproxy-nio} (module
 * {@code io.github.tcpproxy.nio}) at run time; it is found with {@link java.util.ServiceLoader}.
 */
module io.github.tcpproxy {
    requires org.slf4j;

    exports io.github.tcpproxy;
    exports io.github.tcpproxy.fault;
    exports io.github.tcpproxy.spi;
    exports io.github.tcpproxy.strategy;
    exports io.github.tcpproxy.internal to io.github.tcpproxy.nio, io.github.tcpproxy.micrometer;

    uses io.github.tcpproxy.spi.EngineProvider;
    uses io.github.tcpproxy.spi.StrategyProvider;

    provides io.github.tcpproxy.spi.StrategyProvider with
            io.github.tcpproxy.strategy.RoundRobinStrategy.Provider,
            io.github.tcpproxy.strategy.WeightedRoundRobinStrategy.Provider,
            io.github.tcpproxy.strategy.LeastConnectionsStrategy.Provider,
            io.github.tcpproxy.strategy.WeightedLeastConnectionsStrategy.Provider,
            io.github.tcpproxy.strategy.ShortestExpectedDelayStrategy.Provider,
            io.github.tcpproxy.strategy.NeverQueueStrategy.Provider,
            io.github.tcpproxy.strategy.LocalityLeastConnectionsStrategy.Provider,
            io.github.tcpproxy.strategy.LocalityLeastConnectionsReplicatedStrategy.Provider,
            io.github.tcpproxy.strategy.DestinationHashStrategy.Provider,
            io.github.tcpproxy.strategy.SourceHashStrategy.Provider,
            io.github.tcpproxy.strategy.MaglevStrategy.Provider,
            io.github.tcpproxy.strategy.WeightedFailoverStrategy.Provider,
            io.github.tcpproxy.strategy.WeightedOverflowStrategy.Provider,
            io.github.tcpproxy.strategy.WeightedRandomTwoStrategy.Provider,
            io.github.tcpproxy.strategy.RandomStrategy.Provider,
            io.github.tcpproxy.strategy.PowerOfTwoChoicesStrategy.Provider;
}
