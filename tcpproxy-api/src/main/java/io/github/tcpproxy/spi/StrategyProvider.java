package io.github.tcpproxy.spi;

import java.util.Set;

/**
 * Makes a {@link Strategy} known by name, the way a {@code CharsetProvider} makes a charset known:
 * {@code TcpProxy.builder().strategy("round-robin")} finds the provider with that name or alias
 * through {@link java.util.ServiceLoader}.
 *
 * <p>A provider is a small stateless factory with a public no-argument constructor. Register it
 * with {@code provides io.github.tcpproxy.spi.StrategyProvider with ...} in
 * {@code module-info.java} and in {@code META-INF/services/io.github.tcpproxy.spi.StrategyProvider}.
 */
public interface StrategyProvider {

    /** The name users type: lower case, words joined by hyphens, for example {@code round-robin}. */
    String name();

    /** Other names for the same strategy, for example the IPVS short name {@code rr}. */
    default Set<String> aliases() {
        return Set.of();
    }

    /** One line for listings and {@code --help}. */
    default String description() {
        return name();
    }

    /**
     * Creates a strategy for one proxy.
     *
     * @param options the options given after the name ({@code maglev,table-size=65537}); call
     *     {@link StrategyOptions#checkKnown(String...)} to reject the ones you do not take
     * @throws IllegalArgumentException naming the option if an option is unknown or invalid
     */
    Strategy create(StrategyOptions options);
}
