package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.tcpproxy.spi.SelectionContext;
import io.github.tcpproxy.spi.Strategies;
import io.github.tcpproxy.spi.Strategy;
import java.lang.reflect.Method;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Strategies run on reactor threads for every new connection: once warmed up, a selection for an
 * IPv4 client with unchanged backends allocates nothing (measured per thread, averaged).
 *
 * <p>The JDK's per-thread allocation counter is reached by reflection: the tests are compiled
 * inside the API module, which does not read {@code java.management}.
 */
class AllocationTest {

    @ParameterizedTest
    @ValueSource(strings = {"rr", "wrr", "lc", "wlc", "sed", "nq", "lblc", "lblcr", "dh", "sh,port=true",
        "mh,port=true", "fo", "ovf", "twos", "random", "p2c"})
    void aSelectionAllocatesNothingOnceWarm(String spec) throws Exception {
        Method allocated = allocatedBytes();
        assumeTrue(allocated != null, "per-thread allocation counter");
        Object mx = threadBean();
        Strategy strategy = Strategies.create(spec);
        Cluster c = Cluster.of(3, 1, 2, 5, 1, 4);
        c.get("B").active(2).inactive(1);
        c.get("D").active(1);
        SelectionContext[] contexts = new SelectionContext[64];
        for (int i = 0; i < contexts.length; i++) {
            contexts[i] = c.from(Cluster.client(i));
        }
        int calls = 200_000;
        for (int i = 0; i < calls; i++) {
            strategy.select(contexts[i & 63]);
        }
        long thread = Thread.currentThread().getId();
        long before = (long) allocated.invoke(mx, thread);
        for (int i = 0; i < calls; i++) {
            strategy.select(contexts[i & 63]);
        }
        long perCall = ((long) allocated.invoke(mx, thread) - before) / calls;
        assertThat(perCall).as("bytes allocated per select()").isLessThan(4);
    }

    private static Object threadBean() throws Exception {
        return Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
    }

    private static Method allocatedBytes() {
        try {
            Class<?> type = Class.forName("com.sun.management.ThreadMXBean");
            Object bean = threadBean();
            if (!type.isInstance(bean)
                    || !(boolean) type.getMethod("isThreadAllocatedMemoryEnabled").invoke(bean)) {
                return null;
            }
            return type.getMethod("getThreadAllocatedBytes", long.class);
        } catch (Exception e) {
            return null;
        }
    }
}
