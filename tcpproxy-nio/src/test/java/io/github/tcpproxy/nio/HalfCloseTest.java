package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.testing.Payloads;
import io.github.tcpproxy.testing.ScriptedServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A FIN in one direction ends only that direction: the other keeps flowing until it ends too.
 */
@Timeout(60)
class HalfCloseTest {
    private static final int REQUEST = 256 * 1024;
    private static final int ANSWER = 1024 * 1024;

    @Test
    void clientFinishesFirstThenGetsTheWholeAnswer() throws Exception {
        byte[] request = Payloads.random(REQUEST, 31);
        CompletableFuture<Payloads.Received> backendGot = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    // Answers only once the request has ended: only the client's FIN gets here.
                    backendGot.complete(Payloads.drain(socket.getInputStream(), 4L * REQUEST));
                    Payloads.write(socket.getOutputStream(), 32, ANSWER);
                });
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            client.getOutputStream().write(request);
            client.shutdownOutput();

            Payloads.Received answer = Payloads.drain(client.getInputStream(), 4L * ANSWER);

            assertThat(backendGot.get(10, TimeUnit.SECONDS))
                    .isEqualTo(new Payloads.Received(REQUEST, Payloads.sha256(request)));
            assertThat(answer).isEqualTo(new Payloads.Received(ANSWER, Payloads.sha256(32, ANSWER)));
            assertThat(client.getInputStream().read()).as("still at end of stream").isEqualTo(-1);
            backend.assertNoFailures();
        }
    }

    @Test
    void backendFinishesFirstAndStillGetsWhatTheClientSendsAfter() throws Exception {
        CompletableFuture<Payloads.Received> backendGot = new CompletableFuture<>();
        try (ScriptedServer backend = ScriptedServer.start(socket -> {
                    Payloads.write(socket.getOutputStream(), 41, ANSWER);
                    socket.shutdownOutput();
                    backendGot.complete(Payloads.drain(socket.getInputStream(), 4L * REQUEST));
                });
                RunningProxy proxy = Loopback.proxyTo(backend).start();
                Socket client = Sockets.connect(proxy.localAddress())) {
            Payloads.Received answer = Payloads.drain(client.getInputStream(), 4L * ANSWER);
            assertThat(answer).isEqualTo(new Payloads.Received(ANSWER, Payloads.sha256(41, ANSWER)));

            // The backend's side has ended; the client's side has not and must still get through.
            String sent = Payloads.write(client.getOutputStream(), 42, REQUEST);
            client.shutdownOutput();

            assertThat(backendGot.get(10, TimeUnit.SECONDS)).isEqualTo(new Payloads.Received(REQUEST, sent));
            backend.assertNoFailures();
        }
    }
}
