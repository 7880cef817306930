/**
 * The {@code tcpproxy} command-line launcher ({@code java -jar tcpproxy.jar}): picocli options or
 * a YAML config file turned into a {@link io.github.tcpproxy.TcpProxy.Builder}, and a
 * {@code --demo} mode that starts its own echo backends. Entry point:
 * {@link io.github.tcpproxy.examples.launcher.Launcher}.
 */
package io.github.tcpproxy.examples.launcher;
