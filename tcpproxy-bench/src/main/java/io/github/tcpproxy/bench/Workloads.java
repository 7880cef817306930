package io.github.tcpproxy.bench;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load generators. Each runs for a given time, is bounded in count too, and runs under a
 * {@link Watchdog} that closes its sockets if the proxy stalls, so each one always returns.
 * Clients use blocking channels and direct buffers: the cheapest client the JDK offers, so that on
 * a small machine the proxy gets as much CPU as it can.
 */
final class Workloads {
    /** Time beyond a workload's duration after which its watchdog closes everything. */
    static final long GRACE_MILLIS = 20_000;
    /** Size of a request/response message. */
    static final int MESSAGE = 64;
    /** At most this many round trips are recorded per request/response run. */
    private static final int MAX_SAMPLES = 2_000_000;
    /** At most this many connections per connection-rate client per run. */
    private static final int MAX_CONNECTIONS_PER_CLIENT = 50_000;
    /** A connection-rate client stops after this many errors in one run. */
    private static final int MAX_ERRORS_PER_CLIENT = 100;

    private Workloads() {
    }

    /** Aggregate bulk throughput. */
    record Stream(double gbitPerSecond, long bytes, double seconds, int failedConnections) {
    }

    /** Round-trip times in microseconds. */
    record Latency(double p50Micros, double p99Micros, double meanMicros, int count, String error) {
    }

    /** Connections per second and the time each took (connect to close) in milliseconds. */
    record Rate(double perSecond, double p50Millis, double p99Millis, long count, long errors, String firstError) {
    }

    /** Half-close trials run, how many got the whole answer, and what went wrong first (or null). */
    record HalfClose(int trials, int kept, String firstFailure) {
        /** The fraction kept, NaN when no trial ran. */
        double fraction() {
            return trials == 0 ? Double.NaN : kept / (double) trials;
        }
    }

    /**
     * Bulk data on {@code up} connections from client to backend and {@code down} from backend to
     * client, all at once, for {@code millis}.
     */
    static Stream stream(InetSocketAddress address, int up, int down, long millis) throws InterruptedException {
        int n = up + down;
        CountDownLatch connected = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        long[] bytes = new long[n];
        long[] ends = new long[n];
        AtomicLong failures = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        try (Watchdog dog = Watchdog.arm(millis + GRACE_MILLIS)) {
            for (int i = 0; i < n; i++) {
                int index = i;
                boolean upload = i < up;
                Thread t = new Thread(() -> {
                    try (SocketChannel ch = dog.guard(SocketChannel.open())) {
                        ch.connect(address);
                        ByteBuffer buf = ByteBuffer.allocateDirect(StreamServer.CHUNK);
                        connected.countDown();
                        go.await();
                        if (upload) {
                            bytes[index] = upload(ch, buf, millis);
                        } else {
                            bytes[index] = download(ch, buf, millis);
                        }
                        ends[index] = System.nanoTime();
                    } catch (IOException | RuntimeException e) {
                        failures.incrementAndGet();
                        connected.countDown();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "bench-stream-client-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
            connected.await(GRACE_MILLIS, TimeUnit.MILLISECONDS);
            long start = System.nanoTime();
            go.countDown();
            for (Thread t : threads) {
                t.join(millis + GRACE_MILLIS);
            }
            long total = 0;
            long end = start;
            for (int i = 0; i < n; i++) {
                total += bytes[i];
                end = Math.max(end, ends[i]);
            }
            double seconds = (end - start) / 1e9;
            return new Stream(seconds > 0 ? total * 8 / seconds / 1e9 : Double.NaN, total, seconds,
                    (int) failures.get());
        }
    }

    private static long upload(SocketChannel ch, ByteBuffer buf, long millis) throws IOException {
        buf.clear().put(0, StreamServer.UPLOAD).limit(1);
        StreamServer.writeFully(ch, buf);
        StreamServer.sendFor(ch, buf, millis);
        buf.clear().limit(8);
        StreamServer.readFully(ch, buf);
        return buf.getLong(0); // what the backend received, the command byte excluded
    }

    private static long download(SocketChannel ch, ByteBuffer buf, long millis) throws IOException {
        buf.clear().put(StreamServer.DOWNLOAD).putLong(millis).flip();
        StreamServer.writeFully(ch, buf);
        long total = 0;
        int n;
        buf.clear();
        while ((n = ch.read(buf)) >= 0) {
            total += n;
            buf.clear();
        }
        return total;
    }

    /**
     * One connection, {@value #MESSAGE}-byte ping-pong with an echo backend for {@code millis}; the
     * first fifth (at most 500 ms) warms up and is not recorded.
     */
    static Latency requestResponse(InetSocketAddress address, long millis) {
        long[] samples = new long[MAX_SAMPLES];
        int count = 0;
        try (Watchdog dog = Watchdog.arm(millis + GRACE_MILLIS);
                SocketChannel ch = dog.guard(SocketChannel.open())) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(address);
            ByteBuffer out = ByteBuffer.allocateDirect(MESSAGE);
            ByteBuffer in = ByteBuffer.allocateDirect(MESSAGE);
            out.put(0, StreamServer.ECHO).limit(1);
            StreamServer.writeFully(ch, out);
            long now = System.nanoTime();
            long recordFrom = now + TimeUnit.MILLISECONDS.toNanos(Math.min(500, millis / 5));
            long end = now + TimeUnit.MILLISECONDS.toNanos(millis);
            while (count < samples.length) {
                long t0 = System.nanoTime();
                if (t0 - end >= 0) {
                    break;
                }
                out.clear();
                StreamServer.writeFully(ch, out);
                in.clear();
                StreamServer.readFully(ch, in);
                long t1 = System.nanoTime();
                if (t0 - recordFrom >= 0) {
                    samples[count++] = t1 - t0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return new Latency(Double.NaN, Double.NaN, Double.NaN, count, e.toString());
        }
        Stats.sort(samples, count);
        double sum = 0;
        for (int i = 0; i < count; i++) {
            sum += samples[i];
        }
        return new Latency(Stats.percentile(samples, count, 50) / 1e3, Stats.percentile(samples, count, 99) / 1e3,
                count == 0 ? Double.NaN : sum / count / 1e3, count, null);
    }

    /** The loopback address {@code 127.0.0.(2 + i % 250)}: one source address per client. */
    static InetAddress sourceAddress(int i) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (2 + i % 250)});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code clients} clients at once, each in a loop: new connection from its own source address
     * (127.0.0.2, 127.0.0.3, ...), send a {@value NioServer#REQUEST}-byte request, read the
     * response until the server closes, close. The server closes first, so the TIME_WAIT states
     * land on the server side and no ephemeral port runs out, even through a proxy.
     */
    static Rate connectionRate(InetSocketAddress address, int clients, long millis) throws InterruptedException {
        long[][] latencies = new long[clients][];
        int[] counts = new int[clients];
        AtomicLong errors = new AtomicLong();
        String[] firstError = new String[1];
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        long[] window = new long[2];
        try (Watchdog dog = Watchdog.arm(millis + GRACE_MILLIS)) {
            for (int c = 0; c < clients; c++) {
                int client = c;
                Thread t = new Thread(() -> {
                    long[] lat = new long[MAX_CONNECTIONS_PER_CLIENT];
                    latencies[client] = lat;
                    InetSocketAddress from = new InetSocketAddress(sourceAddress(client), 0);
                    ByteBuffer request = ByteBuffer.allocateDirect(NioServer.REQUEST);
                    ByteBuffer response = ByteBuffer.allocateDirect(NioServer.REQUEST * 2);
                    Current current = dog.guard(new Current());
                    int n = 0;
                    int errorsHere = 0;
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    long end = window[1];
                    while (n < lat.length && errorsHere < MAX_ERRORS_PER_CLIENT && !dog.fired()) {
                        long t0 = System.nanoTime();
                        if (t0 - end >= 0) {
                            break;
                        }
                        try (SocketChannel ch = current.set(SocketChannel.open())) {
                            ch.bind(from);
                            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                            ch.connect(address);
                            request.clear();
                            StreamServer.writeFully(ch, request);
                            response.clear();
                            int got = 0;
                            int r;
                            while ((r = ch.read(response)) >= 0) {
                                got += r;
                                if (!response.hasRemaining()) {
                                    response.clear();
                                }
                            }
                            if (got != NioServer.REQUEST) {
                                throw new IOException("response of " + got + " bytes instead of " + NioServer.REQUEST);
                            }
                        } catch (IOException | RuntimeException e) {
                            errorsHere++;
                            if (errors.getAndIncrement() == 0) {
                                firstError[0] = e.toString();
                            }
                            continue;
                        }
                        lat[n++] = System.nanoTime() - t0;
                    }
                    counts[client] = n;
                    dog.release(current);
                }, "bench-rate-client-" + c);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
            window[0] = System.nanoTime();
            window[1] = window[0] + TimeUnit.MILLISECONDS.toNanos(millis);
            go.countDown();
            for (Thread t : threads) {
                t.join(millis + GRACE_MILLIS);
            }
        }
        long elapsed = System.nanoTime() - window[0];
        int total = 0;
        for (int n : counts) {
            total += n;
        }
        long[] all = new long[total];
        int k = 0;
        for (int c = 0; c < clients; c++) {
            if (latencies[c] != null) {
                System.arraycopy(latencies[c], 0, all, k, counts[c]);
                k += counts[c];
            }
        }
        Stats.sort(all, total);
        return new Rate(total / (elapsed / 1e9), Stats.percentile(all, total, 50) / 1e6,
                Stats.percentile(all, total, 99) / 1e6, total, errors.get(), firstError[0]);
    }

    /**
     * Up to {@code trials} half-close trials, one after the other, each on a new connection: send
     * {@value HalfCloseServer#REQUEST} bytes, {@code shutdownOutput()}, then read to EOF and check
     * that exactly the {@value HalfCloseServer#ANSWER}-byte {@link HalfCloseServer#pattern()} came
     * back. A watchdog closes a trial's socket after {@code trialMillis}, which fails the trial; no
     * trial starts after {@code totalMillis}.
     */
    static HalfClose halfClose(InetSocketAddress address, HalfCloseServer server, int trials, long trialMillis,
            long totalMillis) {
        ByteBuffer request = ByteBuffer.allocateDirect(HalfCloseServer.REQUEST);
        ByteBuffer answer = ByteBuffer.allocateDirect(HalfCloseServer.ANSWER + 1); // + 1: room to see too much
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(totalMillis);
        int run = 0;
        int kept = 0;
        String firstFailure = null;
        while (run < trials && System.nanoTime() - end < 0) {
            run++;
            long shortBefore = server.shortRequests();
            answer.clear();
            String failure;
            try (Watchdog dog = Watchdog.arm(trialMillis);
                    SocketChannel ch = dog.guard(SocketChannel.open())) {
                try {
                    ch.connect(address);
                    request.clear();
                    StreamServer.writeFully(ch, request);
                    ch.shutdownOutput();
                    while (answer.hasRemaining() && ch.read(answer) >= 0) {
                        // until EOF, or one byte more than the answer
                    }
                    failure = checkAnswer(answer.flip());
                } catch (IOException | RuntimeException e) {
                    failure = (dog.fired() ? "the watchdog closed the socket after " + trialMillis + " ms"
                            : e.toString()) + " having read " + answer.position() + " bytes";
                }
            } catch (IOException e) {
                failure = e.toString();
            }
            if (failure == null) {
                kept++;
            } else if (firstFailure == null) {
                firstFailure = "trial " + run + ": " + failure + (server.shortRequests() > shortBefore
                        ? " (the backend got less than " + HalfCloseServer.REQUEST + " bytes before the FIN)" : "");
            }
        }
        return new HalfClose(run, kept, firstFailure);
    }

    /** Null if {@code got} (flipped) is exactly the expected answer, else what is wrong with it. */
    private static String checkAnswer(ByteBuffer got) {
        if (got.limit() != HalfCloseServer.ANSWER) {
            return (got.limit() > HalfCloseServer.ANSWER ? "more than " : "only " + got.limit() + " of ")
                    + HalfCloseServer.ANSWER + " bytes before EOF";
        }
        int at = got.mismatch(HalfCloseServer.pattern());
        return at < 0 ? null : "all " + HalfCloseServer.ANSWER + " bytes came, but they differ from byte " + at;
    }

    /** A client's connection of the moment, for the watchdog to close. */
    private static final class Current implements Closeable {
        private volatile SocketChannel channel;

        SocketChannel set(SocketChannel ch) {
            channel = ch;
            return ch;
        }

        @Override
        public void close() throws IOException {
            SocketChannel ch = channel;
            if (ch != null) {
                ch.close();
            }
        }
    }
}
