package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class DurationsTest {

    @Test
    void readsShortFormsAndIso() {
        assertThat(Durations.parse("x", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("x", "2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(Durations.parse("x", " 3 s ")).isEqualTo(Duration.ofSeconds(3));
        assertThat(Durations.parse("x", "1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Durations.parse("x", "1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("x", "0")).isEqualTo(Duration.ZERO);
        assertThat(Durations.parse("x", "PT2S")).isEqualTo(Duration.ofSeconds(2));
        assertThat(Durations.parse("x", "pt0.5s")).isEqualTo(Duration.ofMillis(500));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2x", "abc", "-1s", "PT-2S", "1.5s", "s", "P"})
    void rejectsWhatIsNotADurationNamingTheText(String text) {
        assertThatThrownBy(() -> Durations.parse("connect-timeout", text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("connect-timeout '" + text + "' is not a duration; use e.g. 500ms, 2s, 1m or PT2S");
    }

    @Test
    void aBareNumberOtherThanZeroNeedsAUnit() {
        assertThatThrownBy(() -> Durations.parse("drain-timeout", "5"))
                .hasMessageContaining("'5' is not a duration (it has no unit)");
    }

    @Test
    void formatsForMessages() {
        assertThat(Durations.format(Duration.ofSeconds(10))).isEqualTo("10s");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        // Too long for milliseconds in a long (it threw, and a SIGTERM with such a drain time failed).
        assertThat(Durations.format(Duration.ofHours(9_999_999_999_999L))).isEqualTo("PT9999999999999H");
    }
}
