package io.github.tcpproxy.bench.jmh;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The relay path end to end, in one JVM: a client sends a chunk through an in-process tcpproxy (one
 * reactor) to an echo backend and reads it back. Every byte crosses the proxy twice per operation.
 * Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is what the whole JVM allocates per round
 * trip (proxy, client and backend together; the client and backend use blocking channels and
 * direct buffers, which allocate nothing), so about 0 B/op means the relay allocates nothing per
 * chunk.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class RelayBench {
    /** Bytes per round trip. */
    @Param({"64", "16384"})
    public int size;

    private ServerSocketChannel server;
    private Thread echo;
    private RunningProxy proxy;
    private SocketChannel client;
    private ByteBuffer out;
    private ByteBuffer in;

    /** Starts the echo backend and the proxy, and connects the client. */
    @Setup
    public void setUp() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        echo = new Thread(this::echoLoop, "relay-bench-echo");
        echo.setDaemon(true);
        echo.start();
        InetSocketAddress backend = (InetSocketAddress) server.getLocalAddress();
        proxy = TcpProxy.builder()
                .listen("127.0.0.1:0")
                .backend("127.0.0.1", backend.getPort())
                .reactorThreads(1)
                .start();
        client = SocketChannel.open(proxy.localAddress());
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        out = ByteBuffer.allocateDirect(size);
        in = ByteBuffer.allocateDirect(size);
    }

    private void echoLoop() {
        try (SocketChannel ch = server.accept()) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
            while (ch.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                buf.clear();
            }
        } catch (IOException e) {
            // closed at tear-down
        }
    }

    /** One chunk there and back through the proxy. */
    @Benchmark
    public int roundTrip() throws IOException {
        out.clear();
        while (out.hasRemaining()) {
            client.write(out);
        }
        in.clear();
        while (in.hasRemaining()) {
            if (client.read(in) < 0) {
                throw new IOException("the proxy closed the connection");
            }
        }
        return in.get(0);
    }

    /** Closes the client, the proxy and the backend. */
    @TearDown
    public void tearDown() throws IOException, InterruptedException {
        client.close();
        proxy.close();
        server.close();
        echo.join(5000);
    }
}
