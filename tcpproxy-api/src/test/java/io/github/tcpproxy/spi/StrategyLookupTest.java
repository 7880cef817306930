package io.github.tcpproxy.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Lookup by name, option parsing and user providers, as a user would misuse them (adversarial). */
class StrategyLookupTest {

    /** Runs {@code body} with a context class loader that also sees these providers. */
    private static <T> T withProviders(Path dir, Callable<T> body, Class<?>... providers) throws Exception {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        StringBuilder lines = new StringBuilder();
        for (Class<?> p : providers) {
            lines.append(p.getName()).append('\n');
        }
        Files.writeString(services.resolve(StrategyProvider.class.getName()), lines);
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                StrategyLookupTest.class.getClassLoader())) {
            thread.setContextClassLoader(loader);
            return body.call();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    @Test
    void anUnknownNameListsEveryKnownNameAndAlias() {
        assertThatThrownBy(() -> Strategies.create("round-robbin"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'round-robbin'")
                .hasMessageContaining("round-robin").hasMessageContaining("rr")
                .hasMessageContaining("maglev").hasMessageContaining("p2c");
        assertThatThrownBy(() -> Strategies.provider("  "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("round-robin");
        assertThatThrownBy(() -> Strategies.create((String) null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void namesAreCaseInsensitiveAndTrimmedForBuiltIns() {
        assertThat(Strategies.create("  RR ")).isNotNull();
        assertThat(Strategies.create("Maglev, table-size=4093")).isNotNull();
        assertThat(Strategies.create("WEIGHTED-ROUND-ROBIN")).isNotNull();
    }

    /**
     * Strategies.provider: "names are case-insensitive". A user's provider whose name() is not
     * all lower case is listed among the known names, yet cannot be found by that very name.
     */
    @Test
    void aUserProviderWithAMixedCaseNameIsFoundByItsOwnName(@TempDir Path dir) throws Exception {
        withProviders(dir, () -> {
            assertThat(Strategies.names()).contains("MyBalancer");
            assertThatCode(() -> Strategies.create("MyBalancer")).as("by its own name").doesNotThrowAnyException();
            assertThatCode(() -> Strategies.create("mybalancer")).as("in lower case").doesNotThrowAnyException();
            assertThatCode(() -> Strategies.create("MB")).as("by its own alias").doesNotThrowAnyException();
            return null;
        }, MixedCaseStrategyProvider.class);
    }

    @Test
    void aProviderThatReturnsNullIsReportedNamingIt(@TempDir Path dir) throws Exception {
        withProviders(dir, () -> {
            assertThatThrownBy(() -> Strategies.create("returns-null"))
                    .hasMessageContaining(NullReturningStrategyProvider.class.getName());
            return null;
        }, NullReturningStrategyProvider.class);
    }

    @Test
    void aProviderWhoseConstructorThrowsIsSkippedAndTheOthersStillWork(@TempDir Path dir) throws Exception {
        withProviders(dir, () -> {
            assertThat(Strategies.create("round-robin")).isNotNull();
            assertThat(Strategies.names()).contains("maglev").doesNotContain("never-constructed");
            assertThatThrownBy(() -> Strategies.create("never-constructed"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("known:");
            return null;
        }, ThrowingConstructorStrategyProvider.class, MixedCaseStrategyProvider.class);
    }

    /** Each bad spec must fail with an IllegalArgumentException whose message names the bad part. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "random,seed=abc                          | abc",
        "random,seed=                             | seed",
        "random,seed=99999999999999999999         | 99999999999999999999",
        "power-of-two,seed=1.5                    | 1.5",
        "maglev,table-size=65536                  | 65536",
        "maglev,table-size=-7                     | -7",
        "maglev,table-size=0x10001                | 0x10001",
        "maglev,table-size=2147483659             | 2147483659",
        "maglev,port=maybe                        | maybe",
        "maglev,fallback=                         | fallback",
        "source-hash,table-bits=0                 | 0",
        "source-hash,table-bits=21                | 21",
        "source-hash,port=2                       | 2",
        "destination-hash,table-bits=x            | x",
        "locality-least-connections,expire=0      | 0",
        "locality-least-connections,expire=-5     | -5",
        "locality-least-connections-replicated,shrink=0 | 0",
        "locality-least-connections-replicated,expire=1d | 1d",
        "round-robin,weight=3                     | weight",
        "rr,seed=1                                | seed",
        "maglev,table_size=4093                   | table_size",
        "maglev,port                              | port",
        "maglev,,port=true                        | maglev,,port=true",
        "maglev,=5                                | =5",
    })
    void badOptionsAreRejectedNamingTheBadValue(String spec, String named) {
        assertThatThrownBy(() -> Strategies.create(spec.trim()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(named.trim());
    }

    @Test
    void aNonPrimeTableSizeSuggestsOnlyPrimesThatAreAccepted() {
        // 2^20 is the largest size accepted and not a prime: the next prime up is out of range.
        assertThatThrownBy(() -> Strategies.create("maglev,table-size=1048576"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("table-size 1048576 is not a prime number; the nearest prime in range is 1048573")
                .hasMessageNotContaining("1048583");
        assertThat(Strategies.create("maglev,table-size=1048573")).isNotNull();
    }

    @Test
    void anOptionGivenTwiceIsRejectedNamingIt() {
        assertThatThrownBy(() -> Strategies.create("random,seed=1, seed=2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("strategy 'random,seed=1, seed=2': option 'seed' is given twice");
    }

    @Test
    void optionsMapWithNullsIsRejectedNamingIt() {
        Map<String, String> bad = new HashMap<>();
        bad.put("seed", null);
        assertThatThrownBy(() -> Strategies.create("random", bad))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seed");
        assertThat(Strategies.create("random", Map.of("seed", " 42 "))).isNotNull();
    }

    /** A null map threw a bare NullPointerException; the lists handed out could be changed. */
    @Test
    void aNullOptionsMapIsAnIllegalArgumentAndTheListsHandedOutAreUnmodifiable() {
        assertThatThrownBy(() -> Strategies.create("random", (Map<String, String>) null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("options must not be null");
        assertThatThrownBy(() -> Strategies.names().add("zz")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> Strategies.providers().clear()).isInstanceOf(UnsupportedOperationException.class);
    }
}
