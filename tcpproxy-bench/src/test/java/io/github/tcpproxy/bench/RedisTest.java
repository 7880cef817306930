package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedisTest {

    @Test
    void readsTheGetRateOfRedisBenchmarkCsv() {
        String csv = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\","
                + "\"p99_latency_ms\",\"max_latency_ms\"\n"
                + "\"GET\",\"546448.06\",\"1.143\",\"0.376\",\"1.047\",\"1.975\",\"3.127\",\"5.847\"\n";
        assertThat(Redis.parseGetPerSecond(csv)).isEqualTo(546448.06);
    }

    @Test
    void noGetLineIsNaN() {
        assertThat(Redis.parseGetPerSecond("Could not connect to Redis at 127.0.0.1:1: Connection refused\n"))
                .isNaN();
        assertThat(Redis.parseGetPerSecond("\"GET\",\"oops\"\n")).isNaN();
    }
}
