package io.github.tcpproxy.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.github.tcpproxy.spi.Strategies;
import io.github.tcpproxy.spi.Strategy;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** random, power-of-two and weighted-random-two: repeatable with a seed, eligibility respected. */
class RandomStrategiesTest {

    static Stream<Arguments> seeded() {
        return Stream.of(
                Arguments.of("random", (LongFunction<Strategy>) RandomStrategy::new),
                Arguments.of("power-of-two", (LongFunction<Strategy>) PowerOfTwoChoicesStrategy::new),
                Arguments.of("weighted-random-two", (LongFunction<Strategy>) WeightedRandomTwoStrategy::new));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("seeded")
    void theSameSeedRepeatsTheSameChoices(String name, LongFunction<Strategy> withSeed) {
        Cluster c = Cluster.of(1, 2, 3, 4, 5);
        String first = c.picks(withSeed.apply(42), 60);
        assertThat(c.picks(withSeed.apply(42), 60)).isEqualTo(first);
        assertThat(c.picks(Strategies.create(name + ",seed=42"), 60)).as("seed as an option").isEqualTo(first);
        assertThat(c.picks(withSeed.apply(43), 60)).isNotEqualTo(first);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("seeded")
    void onlyEligibleBackendsAreChosen(String name, LongFunction<Strategy> withSeed) {
        Cluster c = Cluster.of(1, 0, 1, 1, 1, 1);
        c.get("C").down();
        c.get("D").maxConnections(2).active(2);
        c.get("E").excluded(true);
        Strategy s = withSeed.apply(7);
        for (int i = 0; i < 300; i++) {
            assertThat(c.context().exclude("F").pick(s)).isEqualTo("A");
            assertThat(c.pick(s)).isIn("A", "F");
        }
        c.get("A").weight(0);
        c.get("F").down();
        assertThat(c.pick(s)).isEqualTo("-");
        assertThat(c.pick(Strategies.create(name))).as("unseeded too").isEqualTo("-");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("seeded")
    void unseededSpreadsOverEveryEligibleBackend(String name, LongFunction<Strategy> withSeed) {
        Cluster c = Cluster.ofSize(4);
        int[] tally = c.tally(Strategies.create(name), 4000);
        for (int t : tally) {
            assertThat(t).isGreaterThan(600);
        }
    }

    @Test
    void powerOfTwoAlwaysPrefersFewerActiveConnections() {
        Cluster c = Cluster.of(1, 1);
        c.get("A").active(3);
        c.get("B").active(2).inactive(1000);
        PowerOfTwoChoicesStrategy p2c = new PowerOfTwoChoicesStrategy(1);
        // Two distinct backends out of two: the comparison decides every time.
        assertThat(c.picks(p2c, 5)).isEqualTo("B B B B B");
        c.get("B").active(3);
        int[] tally = c.tally(p2c, 2000);
        assertThat(tally[0]).as("a tie goes to the first draw: either").isBetween(850, 1150);
    }

    @Test
    void powerOfTwoNeverChoosesTheMostLoadedOfThree() {
        Cluster c = Cluster.of(1, 1, 1);
        c.get("B").active(10);
        PowerOfTwoChoicesStrategy p2c = new PowerOfTwoChoicesStrategy(5);
        assertThat(c.picks(p2c, 300)).doesNotContain("B");
        assertThat(c.pick(new PowerOfTwoChoicesStrategy(5))).isIn("A", "C");
    }

    @Test
    void weightedRandomTwoDrawsInProportionToTheWeightsWhenIdle() {
        Cluster c = Cluster.of(1, 3);
        WeightedRandomTwoStrategy twos = new WeightedRandomTwoStrategy(11);
        int[] tally = c.tally(twos, 20_000);
        // Both idle: overhead 0 ties, so the first draw wins: shares 1:3.
        assertThat(tally[1] / 20_000.0).isCloseTo(0.75, offset(0.02));
    }

    @Test
    void weightedRandomTwoKeepsTheLessLoadedPerWeight() {
        Cluster c = Cluster.of(1, 1);
        c.get("A").active(5);
        WeightedRandomTwoStrategy twos = new WeightedRandomTwoStrategy(3);
        int[] tally = c.tally(twos, 10_000);
        // A wins only when both draws are A: a quarter of the time.
        assertThat(tally[0] / 10_000.0).isCloseTo(0.25, offset(0.02));
        // B: 4096 / 4 = 1024 per weight, still lighter than A's 1280; A is drawn 1 time in 5.
        c.get("B").weight(4).active(16);
        tally = c.tally(twos, 10_000);
        assertThat(tally[0] / 10_000.0).as("both draws A: 1/25").isCloseTo(0.04, offset(0.015));
    }
}
