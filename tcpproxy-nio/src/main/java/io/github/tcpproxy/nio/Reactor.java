package io.github.tcpproxy.nio;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event-loop thread: a Selector, the channels registered with it, a task queue for other
 * threads, timers and a buffer pool. Everything but {@link #execute(Runnable)} and the counters'
 * getters runs on this reactor's thread only.
 *
 * <p>Loop: select until the next timer is due (or a task arrives), handle the ready keys, run the
 * queued tasks (a bounded batch), run the due timers. Nothing that happens to one connection
 * escapes into the loop.
 */
final class Reactor implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Reactor.class);

    /**
     * Bytes read at a time while the buffer budget is spent: see {@link #reserve}. Small, as a
     * direction keeps what its peer does not take of it on the heap, beyond the budget.
     */
    static final int RESERVE_SIZE = 4096;

    /** Tasks run per loop turn at most, so a flood of tasks cannot starve I/O. */
    private static final int MAX_TASKS_PER_TURN = 1024;

    final NioProxy proxy;
    final int index;
    final Selector selector;
    final Timers timers = new Timers();
    final BufferPool buffers;
    /**
     * What connections read into while the buffer budget is spent, {@link #RESERVE_SIZE} bytes at
     * a time, so that no connection stops for want of memory: a few that hold the budget while
     * their peers do not read would otherwise stop every other one, even from passing on a FIN.
     * Outside the budget; used and emptied within one call (see {@link Direction}).
     */
    final ByteBuffer reserve = ByteBuffer.allocateDirect(RESERVE_SIZE);
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** True while the loop may be blocked in select: the next producer wakes it, once. */
    private final AtomicBoolean wakeupNeeded = new AtomicBoolean();
    private final Consumer<SelectionKey> dispatch = this::dispatch;
    /**
     * Channels whose keys are cancelled, to close once a select has deregistered them: see
     * {@link #closeAfterDeregistration}.
     */
    private final ArrayDeque<SocketChannel> toClose = new ArrayDeque<>();
    /** How many channels at the head of {@link #toClose} the current select deregisters. */
    private int closable;
    private boolean stopped;
    /** Set when {@link #shutdown()} begins: connections aborted from then on end by shutdown. */
    boolean stopping;
    private long lastSelectFailureLog;
    private long lastBufferWaitLog = System.nanoTime() - TimeUnit.SECONDS.toNanos(10);

    // Counters: written by this reactor's thread only, read by stats() on any thread.
    /** Clients this reactor took over: how the accepting is shared out (the proxy counts the total). */
    volatile long accepted;
    volatile long bytesUp;
    volatile long bytesDown;
    volatile long buffered;
    volatile long connectFailures;
    volatile long noBackend;
    volatile long acceptFailures;
    volatile long refusedDenied;
    volatile long refusedMaxConnections;
    volatile long refusedMaxConnectionsPerClient;
    volatile long refusedRateLimited;
    volatile long idleTimeouts;
    volatile long halfClosedTimeouts;
    volatile long proxyProtocolErrors;
    /** Times a connection found the buffer budget spent and went on reading through {@link #reserve}. */
    volatile long bufferWaits;
    /** When a PROXY protocol error was last logged, so that a flood of them logs once a second. */
    long lastProxyProtocolLog = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    long proxyProtocolErrorsSinceLog;

    Reactor(NioProxy proxy, int index, String threadName) throws IOException {
        this.proxy = proxy;
        this.index = index;
        this.selector = Selector.open();
        // Spare buffers kept for reuse: up to 4 MiB worth per reactor, at least 4 buffers.
        int bufferSize = proxy.config.bufferSize();
        this.buffers = new BufferPool(bufferSize, Math.max(4, (4 << 20) / bufferSize), proxy.bufferBudget);
        this.thread = new Thread(this, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    boolean inReactor() {
        return Thread.currentThread() == thread;
    }

    Thread thread() {
        return thread;
    }

    /**
     * Runs {@code task} on this reactor's thread, soon. Callable from any thread; wakes the
     * selector only when it may be blocked and only once per burst of tasks.
     */
    void execute(Runnable task) {
        tasks.add(task);
        if (!inReactor() && wakeupNeeded.compareAndSet(true, false)) {
            selector.wakeup();
        }
    }

    /**
     * Takes over a freshly accepted and admitted client channel. Reactor thread.
     *
     * @param address the client's address, as the acceptor read it
     */
    void adopt(SocketChannel client, InetSocketAddress address) {
        accepted++;
        Connection c = null;
        try {
            c = new Connection(this, client, address);
            c.start();
        } catch (RuntimeException | Error e) {
            // A bug in setting one client up (say, in a strategy or a fault; an AssertionError
            // from a test's own code included) costs that client only: thrown from here it would
            // reach the acceptor, and close the listen socket.
            log.warn("setting up the connection from {} failed; resetting it", address, e);
            if (c != null) {
                c.abort();
            } else {
                try {
                    client.close();
                } catch (IOException closeFailure) {
                    e.addSuppressed(closeFailure);
                }
                proxy.connectionEnded(address);
            }
        }
    }

    @Override
    public void run() {
        while (!stopped) {
            try {
                long wait = timers.nanosUntilNext(System.nanoTime());
                // Whatever was queued for closing before this select is deregistered by it, and
                // is closed as soon as it returns, before its events are handled.
                closable = toClose.size();
                if (wait == 0 || closable > 0 || !tasks.isEmpty()) {
                    selector.selectNow(dispatch);
                } else {
                    wakeupNeeded.set(true);
                    if (!tasks.isEmpty()) {
                        selector.selectNow(dispatch);
                    } else {
                        // select(action, 0) blocks with no limit: right when there is no timer.
                        long millis = wait < 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait + 999_999));
                        selector.select(dispatch, millis);
                    }
                    wakeupNeeded.set(false);
                }
                closeDeregistered();
                runTasks();
                timers.runDue(System.nanoTime());
            } catch (ClosedSelectorException e) {
                break;
            } catch (IOException e) {
                // select() failed: not one connection's fault. Log (rarely) and go on.
                long now = System.nanoTime();
                if (now - lastSelectFailureLog > TimeUnit.SECONDS.toNanos(1)) {
                    lastSelectFailureLog = now;
                    log.warn("{}: select failed: {}", thread.getName(), e.toString());
                }
            } catch (Throwable t) {
                log.error("{}: unexpected error in the reactor loop; it keeps running", thread.getName(), t);
            }
        }
        try {
            selector.close(); // deregisters every key, so what is left in toClose can be closed
        } catch (IOException e) {
            log.debug("{}: closing the selector failed", thread.getName(), e);
        }
        closable = toClose.size();
        closeDeregistered();
        buffers.close();
        DirectBuffers.free(reserve);
    }

    /**
     * A direction found the buffer budget spent, after it last had a buffer: counted, and logged
     * once every 10 s at most. It goes on reading through {@link #reserve}. Reactor thread.
     */
    void budgetSpent() {
        bufferWaits++;
        long now = System.nanoTime();
        if (now - lastBufferWaitLog > TimeUnit.SECONDS.toNanos(10)) {
            lastBufferWaitLog = now;
            log.warn("{}: relay buffer memory limit reached ({} MiB in use); connections read {} bytes at a time"
                    + " until buffers come back", thread.getName(), proxy.bufferBudget.taken() >> 20, RESERVE_SIZE);
        }
    }

    /**
     * Returns a buffer that held data for a peer: a pooled one to the pool; one made for a
     * reserve read's leftover (on the heap) is left to the garbage collector.
     */
    void releaseBuffer(ByteBuffer buffer) {
        if (buffer.isDirect()) {
            buffers.release(buffer);
        }
    }

    /**
     * Closes {@code channel} (registered with this reactor's selector under {@code key}, or not
     * registered when {@code key} is null) after the loop's next select. Reactor thread.
     *
     * <p>Why not at once: closing a channel that is still registered makes the JDK check
     * {@code SO_LINGER} and shut its output down first (two more system calls per socket), and
     * it closes the descriptor only at the next select anyway. Cancelling the key now and closing
     * once the select has deregistered it is one plain {@code close(2)}, at the same time. The
     * FIN (or, with {@code SO_LINGER} 0, the reset) goes out then: within this loop turn, as the
     * next select is then a {@code selectNow}. A null {@code channel} is allowed (nothing to do).
     */
    void closeAfterDeregistration(SocketChannel channel, SelectionKey key) {
        if (channel == null) {
            return;
        }
        if (key == null) {
            closeQuietly(channel);
            return;
        }
        key.cancel();
        toClose.add(channel);
    }

    /** Closes the first {@link #closable} channels of {@link #toClose}: a select has deregistered them. */
    private void closeDeregistered() {
        for (; closable > 0; closable--) {
            closeQuietly(toClose.poll());
        }
    }

    /** Closes {@code channel}, logging (at trace) rather than throwing a failure to close. */
    static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.trace("close failed", e);
        }
    }

    /**
     * Selects without waiting and handles what is ready, from a task on this reactor's thread
     * (never from a handler: selection is not re-entrant). It also completes pending key
     * cancellations, which is what closes a registered channel's socket.
     */
    void selectNow() throws IOException {
        selector.selectNow(dispatch);
    }

    private void dispatch(SelectionKey key) {
        if (closable > 0) {
            closeDeregistered();
        }
        Object attachment = key.attachment();
        if (!(attachment instanceof Handler handler) || !key.isValid()) {
            return;
        }
        try {
            handler.onReady(key);
        } catch (Throwable t) {
            log.error("{}: handler failed; aborting it", thread.getName(), t);
            handler.abort();
        }
    }

    private void runTasks() {
        for (int i = 0; i < MAX_TASKS_PER_TURN; i++) {
            Runnable task = tasks.poll();
            if (task == null) {
                return;
            }
            try {
                task.run();
            } catch (Throwable t) {
                log.error("{}: task failed", thread.getName(), t);
            }
        }
    }

    /** Aborts every connection still registered and ends the loop. Reactor thread. */
    void shutdown() {
        stopping = true;
        for (SelectionKey key : selector.keys().toArray(new SelectionKey[0])) {
            if (key.attachment() instanceof Handler handler) {
                try {
                    handler.abort();
                } catch (Throwable t) {
                    log.debug("{}: abort at shutdown failed", thread.getName(), t);
                }
            }
        }
        stopped = true;
    }
}
