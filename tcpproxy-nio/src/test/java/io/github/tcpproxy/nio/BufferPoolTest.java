package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

    @Test
    void reusesBuffersAndKeepsAtMostMaxIdle() {
        BufferBudget budget = new BufferBudget(1 << 20);
        BufferPool pool = new BufferPool(1024, 2, budget); // spares kept: far below half the budget
        List<ByteBuffer> taken = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ByteBuffer b = pool.acquire();
            assertThat(b.isDirect()).isTrue();
            assertThat(b.capacity()).isEqualTo(1024);
            taken.add(b);
        }
        assertThat(pool.outstanding()).isEqualTo(5);
        assertThat(budget.taken()).isEqualTo(5 * 1024);
        taken.get(0).put((byte) 1);
        taken.forEach(pool::release);
        assertThat(pool.outstanding()).isZero();
        assertThat(pool.idle()).isEqualTo(2);
        assertThat(budget.taken()).as("the three beyond the spares are freed").isEqualTo(2 * 1024);
        ByteBuffer again = pool.acquire();
        assertThat(again.position()).isZero();
        assertThat(again.remaining()).isEqualTo(1024);
        assertThat(taken).contains(again);
        assertThat(budget.taken()).as("a spare costs the budget nothing more").isEqualTo(2 * 1024);
    }

    @Test
    void answersNullWhenTheBudgetIsSpentAndAgainOnceABufferComesBack() {
        BufferBudget budget = new BufferBudget(3 * 1024);
        BufferPool pool = new BufferPool(1024, 0, budget);
        ByteBuffer a = pool.acquire();
        ByteBuffer b = pool.acquire();
        ByteBuffer c = pool.acquire();
        assertThat(List.of(a, b, c)).doesNotContainNull();
        assertThat(pool.acquire()).isNull();
        assertThat(pool.outstanding()).isEqualTo(3);

        pool.release(b);
        assertThat(pool.acquire()).isNotNull();
        assertThat(pool.acquire()).isNull();
    }

    @Test
    void aSecondBufferMayGoUpToTwiceTheLimitAndTheProxysHeaderBeyond() {
        BufferBudget budget = new BufferBudget(2048);
        BufferPool pool = new BufferPool(1024, 0, budget);
        List<ByteBuffer> taken = new ArrayList<>(List.of(pool.acquire(), pool.acquire()));
        assertThat(pool.acquire()).isNull();
        taken.add(pool.acquireSecond());
        taken.add(pool.acquireSecond());
        assertThat(taken).doesNotContainNull();
        assertThat(pool.acquireSecond()).as("twice the limit is the bound").isNull();
        ByteBuffer header = pool.acquireAnyway();
        assertThat(header).isNotNull();
        assertThat(budget.taken()).isEqualTo(5 * 1024);
        pool.release(header);
        taken.forEach(pool::release);
        assertThat(budget.taken()).isZero();
    }

    @Test
    void sparesAreKeptOnlyWhileTheBudgetIsLessThanHalfTaken() {
        BufferBudget budget = new BufferBudget(4 * 1024);
        BufferPool pool = new BufferPool(1024, 8, budget);
        List<ByteBuffer> taken = List.of(pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire());
        taken.forEach(pool::release);
        // Released at 4, 3, 2 and 1 KiB taken: the last two leave at most half the budget taken.
        assertThat(pool.idle()).isEqualTo(2);
        assertThat(budget.taken()).isEqualTo(2 * 1024);
    }

    @Test
    void runningOutOfDirectMemoryFirstLowersTheBudgetToHalfOfWhatFitted() {
        BufferBudget budget = new BufferBudget(1 << 20);
        assertThat(budget.lowerAfterOutOfMemory(64 * 1024, 1024)).isEqualTo(32 * 1024);
        assertThat(budget.limit()).isEqualTo(32 * 1024);
        assertThat(budget.lowerAfterOutOfMemory(1024, 4096)).as("never below one buffer").isEqualTo(4096);
        assertThat(budget.lowerAfterOutOfMemory(1 << 30, 4096)).as("never raised").isEqualTo(4096);
    }

    @Test
    void closingFreesTheSparesBudget() {
        BufferBudget budget = new BufferBudget(1 << 20);
        BufferPool pool = new BufferPool(1024, 4, budget);
        List<ByteBuffer> taken = List.of(pool.acquire(), pool.acquire(), pool.acquire());
        taken.forEach(pool::release);
        assertThat(budget.taken()).isEqualTo(3 * 1024);
        pool.close();
        assertThat(pool.idle()).isZero();
        assertThat(budget.taken()).isZero();
    }

    @Test
    void theSharedBudgetIsThreeEighthsOfTheJvmsDirectMemoryLimit() {
        assertThat(BufferBudget.shared().limit()).isEqualTo((long) (BufferBudget.jvmDirectMemoryLimit() * 0.375));
        assertThat(BufferBudget.jvmDirectMemoryLimit()).isPositive();
        assertThat(DirectBuffers.freesAtOnce()).as("sun.misc.Unsafe.invokeCleaner on this JDK").isTrue();
        assertThatThrownBy(() -> new BufferBudget(0)).hasMessageContaining("limit 0 must be positive");
    }
}
