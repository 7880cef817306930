package io.github.tcpproxy.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Picks, for a {@link io.github.tcpproxy.RunningProxy} parameter, the proxy of the
 * {@link TcpProxyExtension} {@link TcpProxyExtension#named named} {@link #value()}, when a test
 * class registers several. Without it, the parameter gets the proxy of the test's one extension
 * (named or not); with several extensions, or a name none of them has, resolving the parameter
 * fails with a message that lists the test's extensions.
 *
 * <pre>{@code
 * @Test
 * void failsOver(@ProxyName("primary") RunningProxy primary, @ProxyName("replica") RunningProxy replica) { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface ProxyName {
    /** The name given with {@link TcpProxyExtension#named(String)}. */
    String value();
}
