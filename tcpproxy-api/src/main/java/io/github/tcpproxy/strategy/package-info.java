/**
 * The built-in strategies, each registered as a {@link io.github.tcpproxy.spi.StrategyProvider}
 * exactly as a user's would be. They are pure logic over the backend views: no I/O, testable
 * without sockets.
 */
package io.github.tcpproxy.strategy;
