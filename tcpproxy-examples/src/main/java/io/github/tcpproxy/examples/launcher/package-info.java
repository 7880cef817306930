/**
 * The {@code tcpproxy} command-line launcher ({@code java -jar tcpproxy.jar}): picocli options or
 * a YAML config file turned into a {@link io.github.tcpproxy.TcpProxy.Builder}, a {@code --demo}
 * mode that starts its own echo backends, and, with a config file, SIGHUP reloads of its backends
 * into the running proxy. Entry point: {@link io.github.tcpproxy.examples.launcher.Launcher}.
 */
package io.github.tcpproxy.examples.launcher;
