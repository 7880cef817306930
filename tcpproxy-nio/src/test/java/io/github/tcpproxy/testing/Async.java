package io.github.tcpproxy.testing;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a blocking task on a new daemon thread and hands back its result as a future: for the
 * second half of a full-duplex socket (one thread writes while another reads). Each call gets its
 * own thread, so blocking tasks never starve one another, unlike the common fork-join pool.
 * Wait on the future with a bound ({@code future.get(30, SECONDS)}).
 */
public final class Async {
    private Async() {
    }

    /**
     * Starts {@code task} on a new daemon thread named {@code name}.
     *
     * @return a future completed with the task's result or, exceptionally, with what it threw
     */
    public static <T> CompletableFuture<T> start(String name, Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return result;
    }
}
