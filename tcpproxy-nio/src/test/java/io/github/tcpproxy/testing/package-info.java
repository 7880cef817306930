/**
 * Test fixtures for code that talks TCP through a proxy: loopback servers ({@link
 * io.github.tcpproxy.testing.EchoServer}, {@link io.github.tcpproxy.testing.ScriptedServer}),
 * seeded payloads with SHA-256 checks ({@link io.github.tcpproxy.testing.Payloads}), client socket
 * helpers ({@link io.github.tcpproxy.testing.Sockets}), and bounded waits ({@link
 * io.github.tcpproxy.testing.Await}, {@link io.github.tcpproxy.testing.Async}).
 *
 * <p>Published as the {@code tcpproxy-nio} test-jar for the other modules' tests. Everything
 * binds {@code 127.0.0.1} port 0, every blocking read has a timeout and every wait has a bound,
 * so a hang becomes a failure instead of a stuck build.
 */
package io.github.tcpproxy.testing;
