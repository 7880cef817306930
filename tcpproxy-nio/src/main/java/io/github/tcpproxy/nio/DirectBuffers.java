package io.github.tcpproxy.nio;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Frees a direct buffer's memory at once, with {@code sun.misc.Unsafe.invokeCleaner} (module
 * {@code jdk.unsupported}), instead of whenever a garbage collection finds the buffer
 * unreachable. Without it, memory a pool gave back to its {@link BufferBudget} could still be
 * held, so the budget would not match the JVM's own count. Where it is missing the buffer is left
 * to the collector, as any other.
 */
final class DirectBuffers {
    private static final MethodHandle INVOKE_CLEANER = findInvokeCleaner();

    private DirectBuffers() {
    }

    /** Frees {@code buffer} (a direct buffer from {@code allocateDirect}, not a slice); it must not be used again. */
    static void free(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invokeExact(buffer);
        } catch (Throwable e) {
            NioProxy.log.debug("freeing a direct buffer failed; the collector will", e);
        }
    }

    /** Whether {@link #free} frees at once on this JVM. */
    static boolean freesAtOnce() {
        return INVOKE_CLEANER != null;
    }

    private static MethodHandle findInvokeCleaner() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            return MethodHandles.lookup()
                    .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(field.get(null));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            NioProxy.log.debug("sun.misc.Unsafe.invokeCleaner is not available ({}); spare relay buffers beyond"
                    + " the pool's are left to the garbage collector", e.toString());
            return null;
        }
    }
}
