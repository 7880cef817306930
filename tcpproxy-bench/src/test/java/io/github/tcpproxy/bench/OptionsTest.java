package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OptionsTest {

    @Test
    void quickShortensEverythingButWhatIsGiven() {
        Options o = Options.parse("--quick", "--rounds", "2", "--only", "rate,stream");
        assertThat(o.rounds).isEqualTo(2);
        assertThat(o.durationMillis).isEqualTo(1000);
        assertThat(o.idleConnections).isEqualTo(2000);
        assertThat(o.only).containsExactly("stream", "rate"); // always in the fixed order
    }

    @Test
    void readsJvmOptionsLikeTheJavaLauncherDoes() {
        assertThat(Options.jvmOptions("# comment\n-XX:+UseSerialGC  # why\n\n  -Xmx512m -Xmn8m\n"))
                .containsExactly("-XX:+UseSerialGC", "-Xmx512m", "-Xmn8m");
    }

    @Test
    void theProxyUnderTestRunsWithTheLaunchersFlags() {
        assertThat(Options.DEFAULT_PROXY_JVM).contains("-XX:+UseSerialGC").allMatch(f -> f.startsWith("-"));
    }

    @Test
    void theNewWorkloadsRunBeforeIdle() {
        assertThat(Options.parse("--only", "idle,halfclose,redis").only).containsExactly("redis", "halfclose", "idle");
    }

    @Test
    void rejectsUnknownWorkloadsAndOptionsByName() {
        assertThatThrownBy(() -> Options.parse("--only", "stream,latency"))
                .hasMessageContaining("'latency'").hasMessageContaining("stream,rr,rate,redis,halfclose,idle");
        assertThatThrownBy(() -> Options.parse("--rounds", "0")).hasMessageContaining("--rounds 0 is out of range");
        assertThatThrownBy(() -> Options.parse("--fast")).hasMessageContaining("'--fast'");
    }

    @Test
    void nettyRelaysRunWithTheProxysFlagsUnlessToldOtherwise() {
        Options o = Options.parse();
        assertThat(o.netty).containsExactly("nio", "epoll");
        assertThat(o.nettyJvm).isEqualTo(Options.DEFAULT_PROXY_JVM);
        assertThat(Options.parse("--netty", "epoll,nio").netty).containsExactly("nio", "epoll");
        assertThat(Options.parse("--no-netty").netty).isEmpty();
        assertThat(Options.parse("--netty-jvm", " -Xmx1g  -XX:+UseG1GC ").nettyJvm).containsExactly("-Xmx1g", "-XX:+UseG1GC");
        assertThat(Options.parse("--netty-jvm", "").nettyJvm).isEmpty();
        assertThatThrownBy(() -> Options.parse("--netty", "kqueue"))
                .hasMessageContaining("--netty: unknown value 'kqueue'; known: nio,epoll");
    }

    @Test
    void tcpNoDelayIsOnUnlessTurnedOffByName() {
        assertThat(Options.parse().tcpNoDelay).isTrue();
        assertThat(Options.parse("--tcp-nodelay", "false").tcpNoDelay).isFalse();
        assertThatThrownBy(() -> Options.parse("--tcp-nodelay", "off"))
                .hasMessageContaining("--tcp-nodelay 'off' is neither true nor false");
    }

    @Test
    void idleConnectionsFitTwoDescriptorsEachUnderTheLimit() {
        assertThat(Options.defaultIdleConnections(20_000)).isEqualTo(9_800);
        assertThat(Options.defaultIdleConnections(4_096)).isEqualTo(1_848);
        assertThat(Options.defaultIdleConnections(1_024)).isEqualTo(312);
    }
}
