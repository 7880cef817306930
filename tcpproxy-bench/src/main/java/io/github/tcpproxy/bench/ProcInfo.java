package io.github.tcpproxy.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What Linux's {@code /proc} says about a process: resident memory, open files, CPU time. */
final class ProcInfo {
    /** Clock ticks per second of {@code /proc/PID/stat} times; 100 on every Linux we run on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcInfo() {
    }

    /** Resident set size in bytes ({@code VmRSS}), or -1 if the process is gone. */
    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Number of open file descriptors, or -1 if the process is gone. */
    static int openFds(long pid) {
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path ignored : fds) {
                n++;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return n;
    }

    /** User plus system CPU time in seconds, or NaN if the process is gone. */
    static double cpuSeconds(long pid) {
        return cpuTimes(pid, 2);
    }

    /**
     * {@link #cpuSeconds} plus the CPU of the children {@code pid} has waited for (fields 16 and
     * 17 of {@code /proc/PID/stat}), or NaN if unreadable.
     */
    static double cpuSecondsWithReapedChildren(long pid) {
        return cpuTimes(pid, 4);
    }

    /** The sum, in seconds, of the first {@code count} of utime, stime, cutime and cstime; NaN if unreadable. */
    private static double cpuTimes(long pid, int count) {
        try {
            String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) may hold spaces: count fields after its closing paren.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // After the paren: f[0] is field 3 (state), so utime (14) is f[11], then stime,
            // cutime and cstime.
            long ticks = 0;
            for (int i = 11; i < 11 + count; i++) {
                ticks += Long.parseLong(f[i]);
            }
            return ticks / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The soft limit on open files of this process, from {@code /proc/self/limits}; 1024 if unreadable. */
    static int openFileLimit() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/limits"));
            for (String line : lines) {
                if (line.startsWith("Max open files")) {
                    String[] parts = line.substring("Max open files".length()).trim().split("\\s+");
                    return parts[0].equals("unlimited") ? Integer.MAX_VALUE : Integer.parseInt(parts[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return 1024;
        }
        return 1024;
    }

    /**
     * The machine's CPU time since boot, in seconds: {@code [0]} user + nice + system (what
     * processes are charged with), {@code [1]} irq + softirq (interrupt work, loopback TCP
     * processing included, which no process is charged with), {@code [2]} steal (taken by the
     * hypervisor for other machines). NaNs if unreadable.
     */
    static double[] machineCpuSeconds() {
        try {
            String first = read(Path.of("/proc/stat")).lines().findFirst().orElseThrow();
            String[] f = first.trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal ...
            long processes = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]);
            long interrupts = Long.parseLong(f[6]) + Long.parseLong(f[7]);
            long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            return new double[] {processes / TICKS_PER_SECOND, interrupts / TICKS_PER_SECOND, steal / TICKS_PER_SECOND};
        } catch (IOException | RuntimeException e) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
    }

    /** The first three fields of {@code /proc/loadavg}, or "?". */
    static String loadAverage() {
        try {
            String[] f = read(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    /** A one-line sysctl value, or "?". */
    static String sysctl(String name) {
        try {
            return read(Path.of("/proc/sys", name.replace('.', '/'))).trim().replaceAll("\\s+", " ");
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    /**
     * A whole {@code /proc} file. Not {@code Files.readString}: procfs reports size 0 and some of
     * its files answer in short reads, which that method takes for the end.
     */
    private static String read(Path file) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        }
    }
}
