package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class ByteSizesTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '=', value = {
        "0 = 0",
        "262144 = 262144",
        "007 = 7",
        "1k = 1024",
        "1K = 1024",
        "256kb = 262144",
        "256KB = 262144",
        "256kB = 262144",
        "256KiB = 262144",
        "256kib = 262144",
        "1m = 1048576",
        "64M = 67108864",
        "64mb = 67108864",
        "64MiB = 67108864",
        "1g = 1073741824",
        "3G = 3221225472",
        "1gb = 1073741824",
        "1GiB = 1073741824",
        "0k = 0",
    })
    void readsPlainNumbersAndEachUnitInAnyCase(String text, long bytes) {
        assertThat(ByteSizes.parse("x", text)).isEqualTo(bytes);
    }

    @Test
    void ignoresSpacesAroundTheTextAndBeforeTheUnit() {
        assertThat(ByteSizes.parse("x", " 256k ")).isEqualTo(256 * 1024);
        assertThat(ByteSizes.parse("x", "256 KiB")).isEqualTo(256 * 1024);
        assertThat(ByteSizes.parse("x", "\t1 g\n")).isEqualTo(1L << 30);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "12q", "k", "1.5g", "1,024", "1_024", "+1k", "1 k b", "1kk", "1kbb", "1ki",
        "1t", "1b", "0x100", "one", "1k2", "--1"})
    void rejectsWhatIsNotASizeNamingWhereAndTheText(String text) {
        assertThatThrownBy(() -> ByteSizes.parse("--buffer-size", text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--buffer-size: expected a size such as 262144, 256k or 1m, found '" + text + "'");
    }

    @Test
    void nullReadsAsEmpty() {
        assertThatThrownBy(() -> ByteSizes.parse("buffer-size", null))
                .hasMessage("buffer-size: expected a size such as 262144, 256k or 1m, found ''");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-1k", " -64m", "-0"})
    void aNegativeSizeIsAnError(String text) {
        assertThatThrownBy(() -> ByteSizes.parse("p.yaml: max-buffer-memory", text))
                .hasMessage("p.yaml: max-buffer-memory: size '" + text + "' is negative");
        assertThatThrownBy(() -> ByteSizes.parseInt("--send-buffer-size", text))
                .hasMessage("--send-buffer-size: size '" + text + "' is negative");
    }

    @Test
    void anIntTargetTakesUpToIntegerMaxValue() {
        assertThat(ByteSizes.parseInt("x", "2147483647")).isEqualTo(Integer.MAX_VALUE);
        assertThat(ByteSizes.parseInt("x", "2097151k")).isEqualTo(2097151 * 1024);
        assertThat(ByteSizes.parseInt("x", "1g")).isEqualTo(1 << 30);
        for (String tooLarge : new String[] {"2147483648", "2g", "3g", "2048m", "2097152k", "4294967296",
            "99999999999999999999", "9223372036854775807"}) {
            assertThatThrownBy(() -> ByteSizes.parseInt("--buffer-size", tooLarge))
                    .as(tooLarge)
                    .hasMessage("--buffer-size: size '" + tooLarge + "' is too large; at most 2147483647 bytes");
        }
    }

    @Test
    void aLongTargetTakesUpToLongMaxValueAndNeverWraps() {
        assertThat(ByteSizes.parse("x", "9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(ByteSizes.parse("x", "8589934591g")).isEqualTo(8589934591L << 30);
        for (String tooLarge : new String[] {"9223372036854775808", "8589934592g", "9007199254740992k",
            "99999999999999999999999", "9223372036854775807k"}) {
            assertThatThrownBy(() -> ByteSizes.parse("--max-buffer-memory", tooLarge))
                    .as(tooLarge)
                    .hasMessage("--max-buffer-memory: size '" + tooLarge
                            + "' is too large; at most 9223372036854775807 bytes");
        }
    }

    @Test
    void withoutWhereTheMessageIsLeftForTheCallerToPrefix() {
        // picocli puts "Invalid value for option '--buffer-size': " in front.
        assertThatThrownBy(() -> ByteSizes.parseInt(null, "12q"))
                .hasMessage("expected a size such as 262144, 256k or 1m, found '12q'");
        assertThatThrownBy(() -> ByteSizes.parseInt(null, "3g"))
                .hasMessage("size '3g' is too large; at most 2147483647 bytes");
    }
}
