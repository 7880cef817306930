package io.github.tcpproxy.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class FaultTargetTest {

    @Test
    void defaultsAreEveryConnectionBothWays() {
        FaultTarget all = FaultTarget.all();
        assertThat(all.direction()).isEqualTo(FlowDirection.BOTH);
        assertThat(all.scope()).isEqualTo(FaultTarget.Scope.ALL);
        assertThat(all.probability()).isEqualTo(1.0);
        assertThat(all.seed()).isEmpty();
        assertThat(LongStream.rangeClosed(1, 100).allMatch(i -> all.selects(i, i, 0))).isTrue();
    }

    @Test
    void firstAndEveryNthSelectByIndex() {
        FaultTarget t = FaultTarget.all().first(6).everyNth(3);
        assertThat(LongStream.rangeClosed(1, 10).filter(i -> t.selects(i, i, 0)).toArray()).containsExactly(3, 6);
    }

    @Test
    void probabilityIsRepeatableForASeedAndRoughlyRight() {
        FaultTarget t = FaultTarget.all().probability(0.3);
        long[] a = LongStream.rangeClosed(1, 10_000).filter(i -> t.selects(i, i, 99)).toArray();
        long[] b = LongStream.rangeClosed(1, 10_000).filter(i -> t.selects(i, i, 99)).toArray();
        assertThat(a).isEqualTo(b);
        assertThat(a.length).isBetween(2_500, 3_500);
        long[] other = LongStream.rangeClosed(1, 10_000).filter(i -> t.selects(i, i, 100)).toArray();
        assertThat(other).isNotEqualTo(a);
    }

    @Test
    void flowDirectionIncludes() {
        assertThat(FlowDirection.BOTH.includes(FlowDirection.CLIENT_TO_BACKEND)).isTrue();
        assertThat(FlowDirection.BACKEND_TO_CLIENT.includes(FlowDirection.CLIENT_TO_BACKEND)).isFalse();
    }

    @Test
    void badValuesAreRefusedWithTheValue() {
        assertThatThrownBy(() -> FaultTarget.all().probability(1.5)).hasMessageContaining("1.5");
        assertThatThrownBy(() -> FaultTarget.all().first(0)).hasMessageContaining("first(0)");
        assertThatThrownBy(() -> FaultTarget.all().everyNth(-2)).hasMessageContaining("everyNth(-2)");
        assertThatThrownBy(() -> FaultTarget.all().direction(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Faults.bandwidth(0)).hasMessageContaining("bandwidth 0");
        assertThatThrownBy(() -> Faults.slicer(10, 10, Duration.ZERO)).hasMessageContaining("variation 10");
        assertThatThrownBy(() -> Faults.limitData(-1)).hasMessageContaining("-1");
    }

    @Test
    void targetsAndFaultsDescribeThemselves() {
        FaultTarget t = FaultTarget.all().newConnections().backend(new InetSocketAddress("127.0.0.1", 9)).seed(5);
        assertThat(t.toString()).contains("NEW", "backend", "seed 5");
        assertThat(t).isEqualTo(FaultTarget.all().newConnections().backend(new InetSocketAddress("127.0.0.1", 9)).seed(5));
        assertThat(Faults.latency(Duration.ofMillis(200))).hasToString("latency 200 ms");
        assertThat(Faults.limitData(1000)).hasToString("limit-data 1000 bytes then close");
    }

    /** equals compared -0.0 and 0.0 as equal while hashCode told them apart. */
    @Test
    void aNegativeZeroProbabilityIsTheSameTargetAsZero() {
        FaultTarget zero = FaultTarget.all().probability(0.0);
        FaultTarget negativeZero = FaultTarget.all().probability(-0.0);
        assertThat(negativeZero).isEqualTo(zero).hasSameHashCodeAs(zero);
    }

    /** Backends hold resolved addresses; an unresolved one here matched none of them. */
    @Test
    void anUnresolvedBackendAddressIsResolvedAsBackendsAre() {
        FaultTarget t = FaultTarget.all().backend(InetSocketAddress.createUnresolved("127.0.0.1", 80));
        assertThat(t.backend()).isEqualTo(new InetSocketAddress("127.0.0.1", 80));
        assertThat(t.backend().isUnresolved()).isFalse();
    }
}
