package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.github.tcpproxy.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up waits for haproxy and redis-server give up after their 10 s bound, also when
 * something else answers on the port they picked (it was free when picked): they used to check
 * the bound only when a connect or PING failed, and so could poll for ever.
 */
class StartupBoundTest {

    @Test
    void haproxyThatListensButHasNoStatsSocketFailsWithinItsBound(@TempDir Path dir) throws Exception {
        // A stand-in haproxy: accepts "-c" (the config check), otherwise runs and creates nothing.
        Path fake = dir.resolve("haproxy");
        Files.writeString(fake, "#!/bin/sh\ncase \" $* \" in *\" -c \"*) exit 0 ;; esac\nexec sleep 120\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        Path work = dir.resolve("work");
        Files.createDirectories(work);
        Map<Service, java.net.InetSocketAddress> backends = new EnumMap<>(Service.class);
        backends.put(Service.STREAM, new java.net.InetSocketAddress("127.0.0.1", 9));

        // Something else takes the listen port once the config names it, as another process may.
        AtomicReference<ServerSocket> squatter = new AtomicReference<>();
        Thread taker = new Thread(() -> takeTheListenPort(work.resolve("haproxy.cfg"), squatter), "squatter");
        taker.setDaemon(true);
        taker.start();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(25), () -> assertThatThrownBy(
                    () -> new HaproxyTarget(fake.toString(), 1, 100, work, backends).close())
                    .isInstanceOf(IOException.class),
                    "HaproxyTarget's constructor should give up after its 10 s bound");
        } finally {
            taker.join(5_000);
            ServerSocket s = squatter.get();
            if (s != null) {
                s.close();
            }
        }
    }

    /**
     * The same in Redis.awaitPong: the 10 s bound is checked only when PING throws, so a port
     * whose owner answers PING with anything but "+PONG" (and not an error) is polled forever.
     */
    @Test
    void redisServerThatDoesNotPongFailsWithinItsBound(@TempDir Path dir) throws Exception {
        // A stand-in redis-server: notes its arguments, then runs and serves nothing.
        Path args = dir.resolve("args");
        Path fake = dir.resolve("redis-server");
        Files.writeString(fake, "#!/bin/sh\necho \"$@\" > '" + args + "'\nexec sleep 120\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        Path work = dir.resolve("work");
        Files.createDirectories(work);
        // Something else takes its port and answers every line with "+OK".
        AtomicReference<ServerSocket> squatter = new AtomicReference<>();
        Thread taker = new Thread(() -> takePort(args, Pattern.compile("--port (\\d+)"), squatter, "+OK\r\n"),
                "squatter");
        taker.setDaemon(true);
        taker.start();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(25), () -> assertThatThrownBy(
                    () -> Redis.start(new Redis.Binaries(fake.toString(), "/bin/false"), work).close())
                    .isInstanceOf(IOException.class),
                    "Redis.start should give up after its 10 s bound");
        } finally {
            taker.join(5_000);
            ServerSocket s = squatter.get();
            if (s != null) {
                s.close();
            }
        }
    }

    private static void takeTheListenPort(Path config, AtomicReference<ServerSocket> squatter) {
        takePort(config, Pattern.compile("bind 127\\.0\\.0\\.1:(\\d+)"), squatter, null);
    }

    /** Once {@code file} names a port, listens on it; answers {@code reply} to each connection if given. */
    private static void takePort(Path file, Pattern port, AtomicReference<ServerSocket> squatter, String reply) {
        int named = Await.until("a port named in " + file, Duration.ofSeconds(10), () -> portIn(file, port),
                p -> p > 0);
        try {
            ServerSocket s = new ServerSocket(named, 50, InetAddress.getByName("127.0.0.1"));
            squatter.set(s);
            Thread acceptor = new Thread(() -> {
                while (!s.isClosed()) {
                    try (Socket c = s.accept()) {
                        if (reply != null) {
                            c.getOutputStream().write(reply.getBytes(StandardCharsets.US_ASCII));
                            c.getOutputStream().flush();
                        }
                    } catch (IOException e) {
                        if (s.isClosed()) {
                            return;
                        }
                    }
                }
            }, "squatter-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on port " + named, e);
        }
    }

    /** The port {@code file} names, or 0 while it does not exist or names none yet (it may be half written). */
    private static int portIn(Path file, Pattern port) {
        try {
            Matcher m = port.matcher(Files.readString(file, StandardCharsets.UTF_8));
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
