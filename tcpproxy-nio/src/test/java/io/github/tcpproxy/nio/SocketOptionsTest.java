package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.EchoServer;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The TCP options the engine sets on both sockets of a connection: {@link NioProxy#configure} is
 * what the client side (after accept) and the backend side (before connect) both go through.
 */
@Timeout(30)
class SocketOptionsTest {

    @Test
    void configuredOptionsAreSetAndDefaultsAreOn() throws Exception {
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo)
                        .tcpNoDelay(false)
                        .keepAlive(false)
                        .sendBufferSize(96 * 1024)
                        .receiveBufferSize(80 * 1024)
                        .start();
                SocketChannel ch = SocketChannel.open()) {
            ((NioProxy) proxy).configure(ch);
            assertThat(ch.getOption(StandardSocketOptions.TCP_NODELAY)).isFalse();
            assertThat(ch.getOption(StandardSocketOptions.SO_KEEPALIVE)).isFalse();
            // The kernel may round the sizes up (Linux doubles them), never down below a sane minimum.
            assertThat(ch.getOption(StandardSocketOptions.SO_SNDBUF)).isGreaterThanOrEqualTo(96 * 1024);
            assertThat(ch.getOption(StandardSocketOptions.SO_RCVBUF)).isGreaterThanOrEqualTo(80 * 1024);
        }
        try (EchoServer echo = EchoServer.start();
                RunningProxy proxy = Loopback.proxyTo(echo).start();
                SocketChannel ch = SocketChannel.open()) {
            ((NioProxy) proxy).configure(ch);
            assertThat(ch.getOption(StandardSocketOptions.TCP_NODELAY)).isTrue();
            assertThat(ch.getOption(StandardSocketOptions.SO_KEEPALIVE)).isTrue();
        }
    }
}
