package io.github.tcpproxy.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child process spoken to one line at a time: each request waits for its answer for a bounded
 * time. Its standard error goes to a file, quoted when it fails. Closing our end of its standard
 * input is its signal to stop, so it also stops if the bench dies.
 */
final class ChildProcess implements AutoCloseable {
    private static final String EOF = "\u0000EOF";

    private final String name;
    private final Process process;
    private final PrintStream in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Path errorLog;
    private final Thread killOnExit;

    ChildProcess(String name, List<String> command, Path errorLog) throws IOException {
        this.name = name;
        this.errorLog = errorLog;
        this.process = new ProcessBuilder(command)
                .redirectError(errorLog.toFile())
                .start();
        this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child is gone
            } finally {
                lines.add(EOF);
            }
        }, "bench-child-reader " + name);
        reader.setDaemon(true);
        reader.start();
        killOnExit = new Thread(process::destroyForcibly, "bench-child-kill " + name);
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    long pid() {
        return process.pid();
    }

    /** The next line the child prints, waiting at most {@code millis}. */
    String readLine(long millis) throws IOException {
        String line;
        try {
            line = lines.poll(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + name);
        }
        if (line == null) {
            throw new IOException(name + " did not answer within " + millis + " ms" + errorTail());
        }
        if (line.equals(EOF)) {
            lines.add(EOF);
            throw new IOException(name + " ended" + errorTail());
        }
        return line;
    }

    /** Sends a command and returns the answer, which must start with {@code expect}. */
    String request(String command, String expect, long millis) throws IOException {
        in.println(command);
        String answer = readLine(millis);
        if (!answer.startsWith(expect)) {
            throw new IOException(name + " answered '" + answer + "' to '" + command + "'");
        }
        return answer.substring(expect.length()).trim();
    }

    String errorTail() {
        try {
            List<String> err = Files.readAllLines(errorLog);
            if (err.isEmpty()) {
                return "";
            }
            return "; its last output:\n    " + String.join("\n    ", err.subList(Math.max(0, err.size() - 15), err.size()));
        } catch (IOException e) {
            return "";
        }
    }

    /** Ends the child: closes its input, waits a little, then kills it. */
    void stop(String quitCommand) {
        if (quitCommand != null && process.isAlive()) {
            in.println(quitCommand);
        }
        OutputStream os = process.getOutputStream();
        try {
            os.close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        // A bench run starts dozens of short children (redis-benchmark): do not keep a hook per one.
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }

    @Override
    public void close() {
        stop(null);
    }
}
