package io.github.tcpproxy.nio;

import io.github.tcpproxy.ProxyStats;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link FdExhaustionTest}: a proxy on 127.0.0.1:0 to the backend port given
 * as the argument, run under a low descriptor limit. Prints {@code PORT n}, then answers each
 * {@code stats} line on standard input with a {@code STATS} line; ends on {@code quit}, at the end
 * of its input, or after a minute at most.
 */
public final class FdLimitChild {
    private FdLimitChild() {
    }

    public static void main(String[] args) throws Exception {
        CountDownLatch ended = new CountDownLatch(1);
        Thread watchdog = new Thread(() -> {
            try {
                if (!ended.await(60, TimeUnit.SECONDS)) {
                    System.exit(3); // not told to end within the child's life bound
                }
            } catch (InterruptedException e) {
                // the JVM is ending
            }
        });
        watchdog.setDaemon(true);
        watchdog.start();
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (RunningProxy proxy = TcpProxy.builder()
                .listen(new InetSocketAddress(loopback, 0))
                .backend("127.0.0.1", Integer.parseInt(args[0]))
                .reactorThreads(1)
                .drainTimeout(Duration.ZERO)
                .start()) {
            System.out.println("PORT " + proxy.localAddress().getPort());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine()) {
                ProxyStats s = proxy.stats();
                System.out.println("STATS " + s.activeConnections() + " " + s.totalConnections() + " "
                        + s.acceptFailures() + " " + System.nanoTime());
                System.out.flush();
            }
        } finally {
            ended.countDown();
        }
    }
}
