/**
 * The JUnit 5 extension: {@link io.github.tcpproxy.junit5.TcpProxyExtension} and the
 * {@link io.github.tcpproxy.junit5.ProxyName} annotation that picks one of several proxies for a
 * parameter.
 */
package io.github.tcpproxy.junit5;
