package io.github.tcpproxy.spi;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.strategy.RoundRobinStrategy;
import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/** Strategy lookup by name. */
class StrategiesTest {

    /**
     * The built-in strategies ship in the same module as {@link Strategies}, yet a thread whose
     * context class loader cannot see this module (an application server's, a build tool's or a
     * plugin's) finds none of them: Strategies looks only in the context class loader, while
     * TcpProxy.findEngine also looks in its own module's loader.
     */
    @Test
    void builtInStrategiesAreFoundWhateverTheContextClassLoader() throws Exception {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (URLClassLoader foreign = new URLClassLoader(new URL[0], null)) {
            thread.setContextClassLoader(foreign);
            assertThat(Strategies.names()).as("names seen with a foreign context class loader")
                    .contains("round-robin");
            assertThat(Strategies.create("round-robin")).isInstanceOf(RoundRobinStrategy.class);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
