package io.github.tcpproxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A relay in a child JVM that speaks {@link ChildCommands}: tcpproxy ({@link ProxyMain}, with the
 * JVM flags we ship) or a Netty relay ({@link NettyRelayMain}), so that the bench's clients and
 * backends do not share its heap, GC or JIT threads. The child takes {@code --backend HOST:PORT}
 * arguments and answers {@code READY port...}, one port per backend in the same order.
 */
final class JvmTarget extends Target {
    private static final long ANSWER_MILLIS = 30_000;

    private final ChildProcess child;
    private final Map<Service, InetSocketAddress> addresses = new EnumMap<>(Service.class);

    /** tcpproxy: one proxy per backend, each listening on 127.0.0.1 port 0. */
    static JvmTarget tcpproxy(List<String> jvmOptions, int threads, int bufferSize, boolean tcpNoDelay, Path workDir,
            Map<Service, InetSocketAddress> backends) throws IOException {
        return new JvmTarget("tcpproxy", jvmOptions, ProxyMain.class, List.of("--threads", Integer.toString(threads),
                "--buffer-size", Integer.toString(bufferSize), "--tcp-nodelay", Boolean.toString(tcpNoDelay)),
                workDir, backends);
    }

    /**
     * A Netty relay on {@code transport} ({@code nio} or {@code epoll}), column "netty-TRANSPORT",
     * reading at most {@code maxRead} bytes at a time.
     */
    static JvmTarget netty(String transport, List<String> jvmOptions, int threads, int maxRead, Path workDir,
            Map<Service, InetSocketAddress> backends) throws IOException {
        return new JvmTarget("netty-" + transport, jvmOptions, NettyRelayMain.class, List.of("--transport", transport,
                "--threads", Integer.toString(threads), "--max-read", Integer.toString(maxRead)), workDir, backends);
    }

    /**
     * Starts the child JVM and waits for its ports.
     *
     * @throws IOException if the child cannot be started or does not report its ports within 30 s
     */
    private JvmTarget(String name, List<String> jvmOptions, Class<?> main, List<String> args, Path workDir,
            Map<Service, InetSocketAddress> backends) throws IOException {
        super(name);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(args);
        // The child answers one port per --backend, in the same order: the services' order.
        List<Service> services = List.copyOf(new EnumMap<>(backends).keySet());
        for (Service s : services) {
            InetSocketAddress b = backends.get(s);
            command.add("--backend");
            command.add(b.getAddress().getHostAddress() + ":" + b.getPort());
        }
        String what = name + " child JVM";
        child = new ChildProcess(what, command, workDir.resolve(name + "-child.log"));
        try {
            String ready = child.readLine(30_000);
            if (!ready.startsWith("READY ")) {
                throw new IOException(what + " said '" + ready + "' instead of READY" + child.errorTail());
            }
            String[] ports = ready.substring(6).trim().split(" ");
            if (ports.length != services.size()) {
                throw new IOException(what + " said '" + ready + "': " + ports.length + " ports for "
                        + services.size() + " backends");
            }
            for (int i = 0; i < ports.length; i++) {
                addresses.put(services.get(i), new InetSocketAddress("127.0.0.1", Integer.parseInt(ports[i])));
            }
        } catch (IOException | RuntimeException e) {
            child.close();
            throw e;
        }
    }

    @Override
    Map<Service, InetSocketAddress> addresses() {
        return addresses;
    }

    @Override
    long pid() {
        return child.pid();
    }

    @Override
    long activeConnections() throws IOException {
        return Long.parseLong(child.request("stats", "STATS", ANSWER_MILLIS).split(" ")[0]);
    }

    @Override
    Heap heapAfterGc() throws IOException {
        String[] f = child.request("gc", "HEAP", ANSWER_MILLIS).split(" ");
        return new Heap(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                Long.parseLong(f[4]));
    }

    @Override
    long reactorAllocatedBytes() throws IOException {
        return Long.parseLong(child.request("alloc", "ALLOC", ANSWER_MILLIS));
    }

    @Override
    void startAllocationRecording() throws IOException {
        child.request("jfr-start", "OK", ANSWER_MILLIS);
    }

    @Override
    boolean stopAllocationRecording(Path file) throws IOException {
        child.request("jfr-stop " + file.toAbsolutePath(), "OK", ANSWER_MILLIS);
        return true;
    }

    @Override
    public void close() {
        child.stop("quit");
    }
}
