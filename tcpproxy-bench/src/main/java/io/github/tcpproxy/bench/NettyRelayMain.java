package io.github.tcpproxy.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A peer for the bench's table: a TCP relay on Netty 4.1 in its own JVM, as the "Netty
 * relay" rows have it. It relays the way Netty's own proxy example does: the backend connection
 * runs on the client connection's event loop, auto-read is off, and each side reads its next chunk
 * only once the last one was flushed to the other side (so a direction holds about one chunk; the
 * epoll transport reads on to the end once a FIN has come). Unlike the example it keeps half-close
 * (a FIN is passed on once what came before it is flushed; the connection closes when both ways
 * ended), and it keeps what the client sent before the backend was connected (the epoll transport
 * reads a client's data and FIN even with auto-read off), so that what the bench relays arrives
 * whole. Like the example, it ends the other side with a FIN when one side fails or is reset
 * (tcpproxy passes a reset on as a reset); no figure of the bench depends on that.
 * One acceptor thread and {@code --threads} event-loop threads; Netty's pooled direct buffers,
 * sized adaptively per read up to {@code --max-read} bytes (the bench passes tcpproxy's buffer
 * size: Netty's own cap of 64 KiB would cost it a trip through the event loop per 64 KiB).
 *
 * <pre>
 * java [JVM flags] -cp tcpproxy-bench.jar io.github.tcpproxy.bench.NettyRelayMain \
 *      --transport nio|epoll --threads 2 --max-read 262144 --backend 127.0.0.1:9000 [--backend ...]
 * </pre>
 *
 * It listens on 127.0.0.1 port 0 per backend, prints {@code READY port...}, then serves
 * {@link ChildCommands}; {@code stats} answers {@code active total} client connections.
 */
public final class NettyRelayMain {
    /** Its event-loop threads are named so: {@code alloc} counts their allocations. */
    static final String THREAD_PREFIX = "netty-relay-";
    /** Netty's own maximum read size ({@link AdaptiveRecvByteBufAllocator}'s default). */
    static final int DEFAULT_MAX_READ = 65_536;
    private static final int MIN_READ = 64;
    private static final int INITIAL_READ = 2_048;

    private NettyRelayMain() {
    }

    /**
     * Starts the relays and serves commands until {@code quit} or end of input.
     *
     * @param args {@code --transport nio|epoll}, {@code --threads N}, {@code --max-read BYTES},
     *     {@code --backend HOST:PORT}...
     * @throws UnsatisfiedLinkError if {@code epoll} is asked for and Netty's native library cannot load
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        String transport = "nio";
        int threads = Runtime.getRuntime().availableProcessors();
        int maxRead = DEFAULT_MAX_READ;
        List<InetSocketAddress> backends = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--transport" -> transport = args[++i];
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--max-read" -> maxRead = Integer.parseInt(args[++i]);
                case "--backend" -> backends.add(hostPort(args[++i]));
                default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "'; known: --transport nio|epoll, --threads N, --max-read BYTES, --backend HOST:PORT");
            }
        }
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("give at least one --backend HOST:PORT");
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (Relays relays = Relays.start(transport, threads, maxRead, backends)) {
            StringBuilder ready = new StringBuilder("READY");
            for (InetSocketAddress a : relays.addresses()) {
                ready.append(' ').append(a.getPort());
            }
            out.println(ready);
            new ChildCommands(out, () -> relays.active() + " " + relays.total(), THREAD_PREFIX).serve();
        }
        out.println("BYE");
    }

    /** Running relays: one listen address per backend, in the same order. */
    static final class Relays implements AutoCloseable {
        private final EventLoopGroup acceptor;
        private final EventLoopGroup workers;
        private final List<InetSocketAddress> addresses = new ArrayList<>();
        private final AtomicLong active = new AtomicLong();
        private final AtomicLong total = new AtomicLong();

        private Relays(boolean epoll, int threads) {
            acceptor = group(epoll, 1, "acceptor");
            workers = group(epoll, threads, "worker");
        }

        /**
         * Starts one relay per backend on 127.0.0.1 port 0.
         *
         * @throws IllegalArgumentException if the transport is neither {@code nio} nor {@code epoll}, or
         *     {@code maxRead} is below 64 bytes
         * @throws UnsatisfiedLinkError if {@code epoll} is asked for and Netty's native library cannot load
         */
        static Relays start(String transport, int threads, int maxRead, List<InetSocketAddress> backends)
                throws InterruptedException {
            boolean epoll = switch (transport) {
                case "nio" -> false;
                case "epoll" -> {
                    Epoll.ensureAvailability();
                    yield true;
                }
                default -> throw new IllegalArgumentException("--transport '" + transport + "': use nio or epoll");
            };
            Class<? extends ServerChannel> serverChannel = epoll ? EpollServerSocketChannel.class
                    : NioServerSocketChannel.class;
            Class<? extends Channel> clientChannel = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
            if (maxRead < MIN_READ) {
                throw new IllegalArgumentException("--max-read " + maxRead + ": at least " + MIN_READ + " bytes");
            }
            RecvByteBufAllocator reads = new AdaptiveRecvByteBufAllocator(MIN_READ, Math.min(INITIAL_READ, maxRead),
                    maxRead);
            Relays relays = new Relays(epoll, threads);
            try {
                for (InetSocketAddress backend : backends) {
                    Channel listener = new ServerBootstrap()
                            .group(relays.acceptor, relays.workers)
                            .channel(serverChannel)
                            .option(ChannelOption.SO_BACKLOG, 4096)
                            .childOption(ChannelOption.AUTO_READ, false)
                            .childOption(ChannelOption.TCP_NODELAY, true)
                            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                            .childOption(ChannelOption.RCVBUF_ALLOCATOR, reads)
                            .childHandler(new ChannelInitializer<>() {
                                @Override
                                protected void initChannel(Channel ch) {
                                    ch.pipeline().addLast(new ClientSide(backend, clientChannel, reads, relays));
                                }
                            })
                            .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
                    relays.addresses.add((InetSocketAddress) listener.localAddress());
                }
                return relays;
            } catch (InterruptedException | RuntimeException e) {
                relays.close();
                throw e;
            }
        }

        List<InetSocketAddress> addresses() {
            return addresses;
        }

        /** Client connections open now. */
        long active() {
            return active.get();
        }

        /** Client connections accepted so far. */
        long total() {
            return total.get();
        }

        /** Closes listeners and connections; waits for the event loops for 10 s at most each. */
        @Override
        public void close() {
            acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            try {
                acceptor.awaitTermination(10, TimeUnit.SECONDS);
                workers.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static EventLoopGroup group(boolean epoll, int threads, String role) {
        DefaultThreadFactory factory = new DefaultThreadFactory(THREAD_PREFIX + role);
        return epoll ? new EpollEventLoopGroup(threads, factory) : new NioEventLoopGroup(threads, factory);
    }

    private static InetSocketAddress hostPort(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--backend '" + s + "': expected HOST:PORT");
        }
        return new InetSocketAddress(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
    }

    /**
     * One side of a relayed connection: what it reads is written to {@link #peer}, and the next
     * read waits until that write is flushed. Both sides of a connection run on one event loop.
     */
    private static class Relay extends ChannelInboundHandlerAdapter {
        /** The other side; set once the backend is connected. */
        Channel peer;

        /**
         * What the client sent before the backend was connected. Auto-read is off, but the epoll
         * transport reads anyway when the client's FIN comes with its data (it reads on to EOF).
         */
        private List<Object> early;
        /** The client's FIN came before the backend was connected. */
        private boolean earlyEnd;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (peer == null) {
                if (early == null) {
                    early = new ArrayList<>();
                }
                early.add(msg);
                return;
            }
            peer.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    ctx.channel().read();
                } else {
                    closeBoth(ctx.channel());
                }
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (!(evt instanceof ChannelInputShutdownEvent)) {
                ctx.fireUserEventTriggered(evt);
                return;
            }
            if (peer == null) {
                earlyEnd = true;
                return;
            }
            passFinOn(ctx.channel());
        }

        /**
         * This side sent its FIN: pass it on behind what was written before it. Once the other way
         * has ended as well (this side's output is shut), the connection is over.
         */
        void passFinOn(Channel self) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    closeBoth(self);
                    return;
                }
                ((DuplexChannel) peer).shutdownOutput().addListener((ChannelFutureListener) g -> {
                    if (!g.isSuccess() || ((DuplexChannel) self).isOutputShutdown()) {
                        closeBoth(self);
                    }
                });
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer != null && peer.isActive()) {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A reset or a failed write: end this side; channelInactive ends the other.
            ctx.close();
        }

        private void closeBoth(Channel self) {
            self.close();
            if (peer != null) {
                peer.close();
            }
        }

        /** The backend is connected: relay what came before, then read on. */
        void connected(Channel self, Channel backend) {
            peer = backend;
            if (early != null) {
                for (Object msg : early) {
                    backend.write(msg);
                }
                backend.flush();
                early = null;
            }
            if (earlyEnd) {
                passFinOn(self);
            } else {
                self.read();
            }
            backend.read();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (early != null) {
                early.forEach(io.netty.util.ReferenceCountUtil::release);
                early = null;
            }
        }
    }

    /** The client's side: connects to the backend when the client is accepted. */
    private static final class ClientSide extends Relay {
        private final InetSocketAddress backend;
        private final Class<? extends Channel> channelType;
        private final RecvByteBufAllocator reads;
        private final Relays relays;

        ClientSide(InetSocketAddress backend, Class<? extends Channel> channelType, RecvByteBufAllocator reads,
                Relays relays) {
            this.backend = backend;
            this.channelType = channelType;
            this.reads = reads;
            this.relays = relays;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            relays.active.incrementAndGet();
            relays.total.incrementAndGet();
            client.closeFuture().addListener(f -> relays.active.decrementAndGet());
            Relay backendSide = new Relay();
            backendSide.peer = client;
            new Bootstrap()
                    .group(client.eventLoop())
                    .channel(channelType)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, reads)
                    .handler(backendSide)
                    .connect(backend)
                    .addListener((ChannelFutureListener) f -> {
                        if (!f.isSuccess()) {
                            client.close();
                        } else if (!client.isActive()) {
                            f.channel().close(); // the client left while we connected
                        } else {
                            connected(client, f.channel());
                        }
                    });
        }
    }
}
