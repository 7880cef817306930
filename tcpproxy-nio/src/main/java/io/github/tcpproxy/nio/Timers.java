package io.github.tcpproxy.nio;

import java.util.Arrays;

/**
 * One reactor's timers: a binary min-heap on deadline with O(log n) cancel, so that the connect
 * deadline of every connection (cancelled almost always) costs no garbage left in a queue.
 * Reactor thread only.
 */
final class Timers {

    /** A scheduled action; {@link #cancel()} it, or let it fire once. */
    static final class Timer {
        private final Timers owner;
        private final Runnable action;
        private long deadline;
        private int index = -1;

        private Timer(Timers owner, Runnable action) {
            this.owner = owner;
            this.action = action;
        }

        /** Whether it is scheduled and has neither fired nor been cancelled. */
        boolean isScheduled() {
            return index >= 0;
        }

        /**
         * Moves it to {@code deadline}, scheduling it again if it had fired or was cancelled:
         * re-arming a timer costs no allocation.
         */
        void reschedule(long deadline) {
            if (index >= 0) {
                owner.remove(this);
            }
            this.deadline = deadline;
            owner.insert(this);
        }

        /** Removes it if scheduled; harmless otherwise. */
        void cancel() {
            if (index >= 0) {
                owner.remove(this);
            }
        }
    }

    private Timer[] heap = new Timer[64];
    private int size;

    /** Schedules {@code action} to run on the reactor at {@code deadline} ({@link System#nanoTime()}). */
    Timer schedule(long deadline, Runnable action) {
        Timer t = new Timer(this, action);
        t.deadline = deadline;
        insert(t);
        return t;
    }

    /**
     * A timer that is not scheduled yet: {@link Timer#reschedule(long)} arms it. For an owner that
     * re-arms one timer many times.
     */
    Timer create(Runnable action) {
        return new Timer(this, action);
    }

    private void insert(Timer t) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = t;
        t.index = size;
        size++;
        siftUp(t.index);
    }

    int size() {
        return size;
    }

    /**
     * Nanoseconds from {@code now} until the earliest deadline: 0 if one is due, -1 if there are
     * no timers.
     */
    long nanosUntilNext(long now) {
        if (size == 0) {
            return -1;
        }
        return Math.max(0, heap[0].deadline - now);
    }

    /** Runs every timer due at {@code now}, earliest first; returns how many ran. */
    int runDue(long now) {
        int ran = 0;
        while (size > 0 && heap[0].deadline - now <= 0) {
            Timer t = heap[0];
            remove(t);
            t.action.run();
            ran++;
        }
        return ran;
    }

    private void remove(Timer t) {
        int i = t.index;
        t.index = -1;
        size--;
        if (i == size) {
            heap[size] = null;
            return;
        }
        Timer last = heap[size];
        heap[size] = null;
        heap[i] = last;
        last.index = i;
        siftDown(i);
        if (last.index == i) {
            siftUp(i);
        }
    }

    private void siftUp(int i) {
        Timer t = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Timer p = heap[parent];
            if (p.deadline - t.deadline <= 0) {
                break;
            }
            heap[i] = p;
            p.index = i;
            i = parent;
        }
        heap[i] = t;
        t.index = i;
    }

    private void siftDown(int i) {
        Timer t = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && heap[right].deadline - heap[child].deadline < 0) {
                child = right;
            }
            if (t.deadline - heap[child].deadline <= 0) {
                break;
            }
            heap[i] = heap[child];
            heap[i].index = i;
            i = child;
        }
        heap[i] = t;
        t.index = i;
    }
}
