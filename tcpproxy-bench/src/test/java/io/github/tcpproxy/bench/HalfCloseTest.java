package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HalfCloseTest {

    @Test
    void theBackendAnswersAfterTheFinAndEveryTrialKeepsAll() throws IOException {
        try (HalfCloseServer server = new HalfCloseServer()) {
            Workloads.HalfClose h = Workloads.halfClose(server.address(), server, 3, 5_000, 10_000);
            assertThat(h.trials()).isEqualTo(3);
            assertThat(h.kept()).isEqualTo(3);
            assertThat(h.fraction()).isEqualTo(1.0);
            assertThat(h.firstFailure()).isNull();
            assertThat(server.shortRequests()).isZero();
        }
    }

    @Test
    void anAnswerLostAtTheFinIsATrialLost() throws Exception {
        // Stands for a proxy that ends the whole connection on the client's FIN: read to EOF, close.
        try (HalfCloseServer pattern = new HalfCloseServer();
                ServerSocketChannel lossy = ServerSocketChannel.open()) {
            lossy.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread t = new Thread(() -> {
                for (int i = 0; i < 2; i++) {
                    try (SocketChannel ch = lossy.accept()) {
                        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                        while (ch.read(buf.clear()) >= 0) {
                            // until the FIN
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            Workloads.HalfClose h = Workloads.halfClose((InetSocketAddress) lossy.getLocalAddress(), pattern, 2,
                    5_000, 10_000);
            assertThat(h.trials()).isEqualTo(2);
            assertThat(h.kept()).isZero();
            assertThat(h.firstFailure()).contains("trial 1: only 0 of 1048576 bytes before EOF");
        }
    }
}
