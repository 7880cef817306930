package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.tcpproxy.testing.Await;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Running out of file descriptors: a proxy in a child JVM under {@code ulimit -n 128} gets more
 * clients than it can hold. It must pause accepting (about every 100 ms one try) rather than spin
 * on a listen socket that stays ready, and serve again once descriptors are free.
 */
@Timeout(90)
class FdExhaustionTest {
    private static final int LIMIT = 128;

    @Test
    void acceptPausesInsteadOfSpinningAndRecovers() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs /bin/sh and ulimit");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String command = "ulimit -n " + LIMIT + " && exec '" + java + "' -Xmx64m -XX:+UseSerialGC"
                + " -cp '" + System.getProperty("java.class.path") + "' " + FdLimitChild.class.getName();
        try (EchoServer backend = EchoServer.start()) {
            Process child = new ProcessBuilder("/bin/sh", "-c", command + " " + backend.port())
                    .redirectError(ProcessBuilder.Redirect.appendTo(new java.io.File("target/fd-child.log")))
                    .start();
            List<Socket> clients = new ArrayList<>();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                 PrintWriter in = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8)) {
                String first = out.readLine();
                assertThat(first).as("child's first line").startsWith("PORT ");
                InetSocketAddress proxy = new InetSocketAddress(Sockets.loopback(), Integer.parseInt(first.substring(5)));

                // Twice as many clients as the limit allows descriptors: the kernel queues them
                // (backlog 1024), the proxy runs out of descriptors accepting them.
                for (int i = 0; i < LIMIT; i++) {
                    clients.add(Sockets.connect(proxy));
                }
                long[] atFirst = Await.until("accept to fail for lack of descriptors", Duration.ofSeconds(20),
                        () -> stats(in, out), s -> s[2] >= 1);
                long[] later = Await.until("accept to be tried 5 more times", Duration.ofSeconds(20),
                        () -> stats(in, out), s -> s[2] >= atFirst[2] + 5);
                long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(later[3] - atFirst[3]);
                // A spinning acceptor fails thousands of times in this span; a pausing one at most
                // once per 100 ms pause (a lower bound on time, so a slow machine cannot break it).
                assertThat(later[2] - atFirst[2]).isLessThanOrEqualTo(elapsedMillis / 100 + 2);

                for (Socket c : clients) {
                    c.close();
                }
                clients.clear();
                // Descriptors free again: a new client is served end to end.
                Await.success("a new client to be served", Duration.ofSeconds(20), () -> {
                    try (Socket c = Sockets.connect(proxy)) {
                        EchoServer.assertEchoes(c, "back again".getBytes(StandardCharsets.UTF_8));
                    }
                    return true;
                });
                in.println("quit");
            } finally {
                for (Socket c : clients) {
                    c.close();
                }
                child.destroy();
                if (!child.waitFor(10, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                }
            }
        }
    }

    /** Asks the child for [active, total, acceptFailures, nanoTime]. */
    private static long[] stats(PrintWriter in, BufferedReader out) {
        in.println("stats");
        try {
            String line = out.readLine();
            if (line == null || !line.startsWith("STATS ")) {
                throw new IllegalStateException("child said: " + line);
            }
            String[] parts = line.substring(6).split(" ");
            long[] values = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                values[i] = Long.parseLong(parts[i]);
            }
            return values;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
