package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.tcpproxy.testing.Sockets;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The HAProxy launcher of the interoperability tests, on its own failure paths. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HaproxyProcessTest {
    @TempDir
    Path dir;

    @Test
    void aPortTakenMeanwhileIsRetriedOnAnother() throws Exception {
        String binary = HaproxyProcess.binary();
        AtomicInteger attempts = new AtomicInteger();
        try (ServerSocket taken = new ServerSocket(0, 1, Sockets.loopback());
                HaproxyProcess haproxy = HaproxyProcess.start(binary, dir, port -> "frontend fe\n"
                        + "    bind 127.0.0.1:" + (attempts.getAndIncrement() == 0 ? taken.getLocalPort() : port) + "\n")) {
            assertThat(attempts).hasValue(2);
            assertThat(Files.readString(dir.resolve("haproxy-1/haproxy.out"))).contains("cannot bind socket");
            try (Socket s = Sockets.connect(haproxy.address())) {
                assertThat(s.isConnected()).isTrue();
            }
            assertThat(haproxy.statNumber("fe", "FRONTEND", "conn_tot")).isEqualTo(1);
        }
    }

    @Test
    void aConfigHaproxyRejectsFailsAtOnceWithItsOutput() {
        String binary = HaproxyProcess.binary();
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> HaproxyProcess.start(binary, dir, port -> {
            attempts.incrementAndGet();
            return "frontend fe\n    bind 127.0.0.1:" + port + "\n    no-such-keyword\n";
        })).isInstanceOf(AssertionError.class).hasMessageContaining("haproxy exited at start (attempt 1)")
                .hasMessageContaining("no-such-keyword");
        assertThat(attempts).hasValue(1);
    }
}
