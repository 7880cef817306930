/**
 * Service-provider interfaces: {@link io.github.tcpproxy.spi.Strategy} and
 * {@link io.github.tcpproxy.spi.StrategyProvider} for scheduling, the read-only views a strategy
 * sees, and {@link io.github.tcpproxy.spi.EngineProvider}, which the engine module implements.
 * Providers are found with {@link java.util.ServiceLoader}: declare them with {@code provides} in
 * {@code module-info.java} and in {@code META-INF/services} for the class path.
 */
package io.github.tcpproxy.spi;
