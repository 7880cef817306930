package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

    @Test
    void reusesBuffersAndKeepsAtMostMaxIdle() {
        BufferPool pool = new BufferPool(1024, 2);
        List<ByteBuffer> taken = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ByteBuffer b = pool.acquire();
            assertThat(b.isDirect()).isTrue();
            assertThat(b.capacity()).isEqualTo(1024);
            taken.add(b);
        }
        assertThat(pool.outstanding()).isEqualTo(5);
        taken.get(0).put((byte) 1);
        taken.forEach(pool::release);
        assertThat(pool.outstanding()).isZero();
        assertThat(pool.idle()).isEqualTo(2);
        ByteBuffer again = pool.acquire();
        assertThat(again.position()).isZero();
        assertThat(again.remaining()).isEqualTo(1024);
        assertThat(taken).contains(again);
    }
}
