package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The demo's echo backend, talked to directly over loopback. */
@Timeout(30)
class EchoServerTest {
    private EchoServer echo;
    private String prefix;

    @BeforeEach
    void start() throws IOException {
        echo = EchoServer.start("backend-7", new InetSocketAddress("127.0.0.1", 0));
        prefix = "[backend-7 127.0.0.1:" + echo.localAddress().getPort() + "] ";
    }

    @AfterEach
    void stop() {
        echo.close();
    }

    @Test
    void answersEveryLineWithItsPrefixThenEndsAfterTheClientEnds() throws IOException {
        String answer = exchange("one\r\ntwo\nlast without newline");

        assertThat(answer).isEqualTo(prefix + "one\r\n" + prefix + "two\n" + prefix + "last without newline\n");
    }

    @Test
    void anEmptyConversationGetsAnEmptyAnswerAndAnEnd() throws IOException {
        assertThat(exchange("")).isEmpty();
    }

    @Test
    void aLongLineIsAnsweredInBoundedPieces() throws IOException {
        String line = "x".repeat(EchoServer.MAX_LINE * 2 + 10);

        String answer = exchange(line + "\n");

        String piece = "x".repeat(EchoServer.MAX_LINE);
        assertThat(answer).isEqualTo(prefix + piece + prefix + piece + prefix + "x".repeat(10) + "\n");
    }

    @Test
    void moreThanTheBacklogOfAnswersArrivesWholeWhenTheClientReadsLate() throws Exception {
        // Far more answers than MAX_PENDING: the server must stop reading, then resume.
        StringBuilder sent = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 40_000; i++) {
            String line = "line " + i + "\n";
            sent.append(line);
            expected.append(prefix).append(line);
        }
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (Socket socket = connect()) {
            byte[] bytes = sent.toString().getBytes(StandardCharsets.UTF_8);
            Future<?> written = writer.submit(() -> {
                socket.getOutputStream().write(bytes);
                socket.shutdownOutput();
                return null;
            });
            String answer = readToEnd(socket.getInputStream());
            written.get(10, TimeUnit.SECONDS);
            assertThat(answer).isEqualTo(expected.toString());
        } finally {
            writer.shutdownNow();
        }
    }

    @Test
    void servesClientsAtTheSameTime() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                Socket s = connect();
                sockets.add(s);
                s.getOutputStream().write(("hello " + i + "\n").getBytes(StandardCharsets.UTF_8));
            }
            // All five are open at once; each gets its own answer.
            for (int i = 4; i >= 0; i--) {
                Socket s = sockets.get(i);
                s.shutdownOutput();
                assertThat(readToEnd(s.getInputStream())).isEqualTo(prefix + "hello " + i + "\n");
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void aClientThatResetsDoesNotDisturbTheOthers() throws IOException {
        try (Socket rude = connect()) {
            rude.getOutputStream().write("half a line".getBytes(StandardCharsets.UTF_8));
            rude.setSoLinger(true, 0);
        }

        assertThat(exchange("still here\n")).isEqualTo(prefix + "still here\n");
    }

    private String exchange(String text) throws IOException {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            socket.shutdownOutput();
            return readToEnd(socket.getInputStream());
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(echo.localAddress(), 5000);
        socket.setSoTimeout(5000);
        return socket;
    }

    /** Reads until the server ends its output; the read timeout turns a missing end into a failure. */
    private static String readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        return all.toString(StandardCharsets.UTF_8);
    }
}
