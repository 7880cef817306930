package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TimersTest {

    @Test
    void firesInDeadlineOrderAndOnlyWhenDue() {
        Timers timers = new Timers();
        List<Integer> fired = new ArrayList<>();
        timers.schedule(30, () -> fired.add(30));
        timers.schedule(10, () -> fired.add(10));
        timers.schedule(20, () -> fired.add(20));
        assertThat(timers.nanosUntilNext(0)).isEqualTo(10);
        assertThat(timers.runDue(15)).isEqualTo(1);
        assertThat(fired).containsExactly(10);
        assertThat(timers.runDue(100)).isEqualTo(2);
        assertThat(fired).containsExactly(10, 20, 30);
        assertThat(timers.nanosUntilNext(100)).isEqualTo(-1);
    }

    @Test
    void cancelledTimersNeverFireAndLeaveNothingBehind() {
        Timers timers = new Timers();
        Random random = new Random(7);
        List<Timers.Timer> all = new ArrayList<>();
        List<Long> fired = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            long deadline = random.nextInt(10_000);
            all.add(timers.schedule(deadline, () -> fired.add(deadline)));
        }
        int cancelled = 0;
        for (int i = 0; i < all.size(); i += 3) {
            all.get(i).cancel();
            all.get(i).cancel(); // twice is harmless
            cancelled++;
        }
        assertThat(timers.size()).isEqualTo(1000 - cancelled);
        timers.runDue(10_000);
        assertThat(fired).hasSize(1000 - cancelled).isSorted();
        assertThat(timers.size()).isZero();
        assertThat(all).noneMatch(Timers.Timer::isScheduled);
    }

    @Test
    void deadlinesCompareSafelyAcrossNanoTimeOverflow() {
        Timers timers = new Timers();
        List<String> fired = new ArrayList<>();
        long near = Long.MAX_VALUE - 5;
        timers.schedule(near + 10, () -> fired.add("after-wrap"));
        timers.schedule(near, () -> fired.add("before-wrap"));
        timers.runDue(near + 20);
        assertThat(fired).containsExactly("before-wrap", "after-wrap");
    }

    @Test
    void aTimerMayScheduleAnother() {
        Timers timers = new Timers();
        List<String> fired = new ArrayList<>();
        timers.schedule(5, () -> {
            fired.add("first");
            timers.schedule(5, () -> fired.add("second, already due"));
        });
        timers.runDue(5);
        assertThat(fired).containsExactly("first", "second, already due");
    }

    @Test
    void rescheduleMovesOneTimerAndArmsItAgainAfterItFired() {
        Timers timers = new Timers();
        List<Long> fired = new ArrayList<>();
        long[] now = {0};
        Timers.Timer t = timers.create(() -> fired.add(now[0]));
        assertThat(t.isScheduled()).isFalse();
        t.reschedule(10);
        timers.schedule(20, () -> { });
        t.reschedule(30); // later: moves past the other timer
        assertThat(timers.size()).isEqualTo(2);
        now[0] = 25;
        timers.runDue(now[0]);
        assertThat(fired).isEmpty();
        now[0] = 30;
        timers.runDue(now[0]);
        assertThat(fired).containsExactly(30L);
        t.reschedule(40); // after it fired
        now[0] = 40;
        timers.runDue(now[0]);
        assertThat(fired).containsExactly(30L, 40L);
        assertThat(timers.size()).isZero();
    }
}
