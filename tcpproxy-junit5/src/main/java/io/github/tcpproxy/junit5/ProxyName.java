package io.github.tcpproxy.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Picks, for a {@link io.github.tcpproxy.RunningProxy} parameter, the proxy of the
 * {@link TcpProxyExtension} {@link TcpProxyExtension#named named} {@link #value()}, when a test
 * class registers several.
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
