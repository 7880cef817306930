/**
 * The smallest useful embedding of tcpproxy: a proxy started with
 * {@link io.github.tcpproxy.TcpProxy#builder()} in front of a server, used, and closed. See
 * {@link io.github.tcpproxy.examples.embedding.EmbeddedProxyExample}.
 */
package io.github.tcpproxy.examples.embedding;
