package io.github.tcpproxy.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An external program (haproxy, redis-server, redis-benchmark) run under a small {@code sh} that
 * kills it when the bench's pipe to the {@code sh} closes. The bench closes that pipe in
 * {@link #close()}, and the kernel closes it when the bench dies, even by {@code SIGKILL}, which
 * no shutdown hook survives: so the program never outlives the bench.
 *
 * <p>The {@code sh} prints {@code PID n} when it has started the program, and {@code EXIT status}
 * when the program ends by itself. The program's standard input is {@code /dev/null}; its output
 * and standard error are appended to a file.
 */
final class Supervised implements AutoCloseable {
    /*
     * $1: the output file; then the command. The watcher reads the bench's pipe on a copy (fd 3)
     * of the standard input: POSIX gives a background list of a non-interactive shell /dev/null
     * as standard input unless it is redirected explicitly.
     */
    private static final String SCRIPT = "out=\"$1\"; shift; exec 3<&0; \"$@\" </dev/null >>\"$out\" 2>&1 & p=$!;"
            + " echo \"PID $p\"; (cat <&3 >/dev/null; kill \"$p\" 2>/dev/null) & wait \"$p\"; echo \"EXIT $?\"; wait";

    private final String name;
    private final ChildProcess wrapper;
    private final ProcessHandle process;

    private Supervised(String name, ChildProcess wrapper, ProcessHandle process) {
        this.name = name;
        this.wrapper = wrapper;
        this.process = process;
    }

    /**
     * Where {@code program} is: the first directory of the {@code PATH}, then of {@code alsoIn},
     * that holds it as an executable file; null if none does. {@code alsoIn} is for directories
     * that are not on every user's {@code PATH}, such as Debian's {@code /usr/sbin}.
     */
    static String find(String program, List<String> alsoIn) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(alsoIn);
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
                return Path.of(d, program).toString();
            }
        }
        return null;
    }

    /**
     * Starts {@code command} under the watching {@code sh}.
     *
     * @param output where the program's standard output and error go (appended)
     * @param wrapperLog where the {@code sh}'s own standard error goes
     * @throws IOException if the {@code sh} cannot be started or does not report the program's pid
     *     within 10 s
     */
    static Supervised start(String name, List<String> command, Path output, Path wrapperLog) throws IOException {
        List<String> sh = new ArrayList<>(List.of("sh", "-c", SCRIPT, "sh", output.toString()));
        sh.addAll(command);
        ChildProcess wrapper = new ChildProcess(name, sh, wrapperLog);
        try {
            String line = wrapper.readLine(10_000);
            if (!line.startsWith("PID ")) {
                throw new IOException("the " + name + " wrapper said '" + line + "' instead of its pid");
            }
            long pid = Long.parseLong(line.substring(4).trim());
            // Taken now, while the pid is surely the program's: a handle also checks the start time
            // before it kills, so a pid reused later is never hit.
            ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
            return new Supervised(name, wrapper, handle);
        } catch (IOException | RuntimeException e) {
            wrapper.close();
            throw e;
        }
    }

    /** The program's pid (not the {@code sh}'s), or -1 if it ended before we could see it. */
    long pid() {
        return process == null ? -1 : process.pid();
    }

    /** Whether the program still runs. */
    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /**
     * Waits for the program to end by itself.
     *
     * @return its exit status
     * @throws IOException if it has not ended within {@code millis}; it still runs then
     */
    int awaitExit(long millis) throws IOException {
        String line = wrapper.readLine(millis);
        if (!line.startsWith("EXIT ")) {
            throw new IOException("the " + name + " wrapper said '" + line + "' instead of its exit status");
        }
        return Integer.parseInt(line.substring(5).trim());
    }

    /** Stops the program (SIGTERM from the {@code sh}, SIGKILL if it still runs after 5 s); safe twice. */
    @Override
    public void close() {
        wrapper.close();
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                process.onExit().get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // killed below
            }
            process.destroyForcibly();
        }
    }
}
