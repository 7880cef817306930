package io.github.tcpproxy.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real signals to a launcher in a child JVM: the first SIGTERM drains (an open connection is
 * still served), the second resets what is left and the process ends at once, well before the
 * five-minute drain time.
 */
@Timeout(90)
class LauncherSignalTest {
    private static final Pattern PROXY_LINE = Pattern.compile("\\s*proxy\\s+127\\.0\\.0\\.1:(\\d+).*");

    @Test
    void aSecondSigtermStopsAtOnce() throws Exception {
        assumeTrue(!System.getProperty("os.name").startsWith("Windows"), "needs SIGTERM");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-Xmx64m", "-cp",
                System.getProperty("java.class.path"), Launcher.class.getName(), "--demo", "--listen", "127.0.0.1:0",
                "--drain-timeout", "5m"));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("read failed: " + e);
            }
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
        try {
            int port = -1;
            for (int i = 0; i < 100 && port < 0; i++) {
                String line = lines.poll(30, TimeUnit.SECONDS);
                assertThat(line).as("a line from the child within 30 s").isNotNull();
                Matcher m = PROXY_LINE.matcher(line);
                if (m.matches()) {
                    port = Integer.parseInt(m.group(1));
                }
            }
            assertThat(port).as("the proxy's port from the demo's output").isPositive();
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                client.setSoTimeout(10_000);
                assertThat(LauncherHardeningTest.converse(client, "before")).endsWith("] before");

                // Through the handle: Process.destroy() would also close our end of its output.
                assertThat(child.toHandle().destroy()).isTrue(); // SIGTERM
                awaitLine(lines, "signal again to stop at once");
                assertThat(LauncherHardeningTest.converse(client, "draining")).as("served while draining").endsWith("] draining");
                assertThat(child.isAlive()).isTrue();

                assertThat(child.toHandle().destroy()).isTrue(); // the second SIGTERM
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("ended well before the 5 minute drain").isTrue();
                try {
                    assertThat(client.getInputStream().read()).isEqualTo(-1);
                } catch (IOException reset) {
                    // Reset: cut at once, as intended.
                }
            }
            assertThat(child.exitValue()).isZero();
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void awaitLine(BlockingQueue<String> lines, String part) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String line = lines.poll(30, TimeUnit.SECONDS);
            assertThat(line).as("a line containing '%s' within 30 s; lines seen: %s", part, seen).isNotNull();
            if (line.contains(part)) {
                return;
            }
            seen.add(line);
        }
        throw new AssertionError("no line containing '" + part + "' in " + seen);
    }
}
