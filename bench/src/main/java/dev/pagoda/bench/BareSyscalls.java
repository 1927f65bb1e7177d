package dev.pagoda.bench;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Linux's {@code mmap}, {@code munmap} and {@code madvise} as plain FFM downcalls, with no errno capture, no
 * state tracking and no checks beyond the return value: the floor that {@code OsMemory}'s checked, accounted
 * calls are measured against in {@link OsMemoryBenchmark}. Linux x86-64 / AArch64 constants.
 */
public final class BareSyscalls {
    /** {@code PROT_NONE}. */
    public static final int PROT_NONE = 0;
    /** {@code PROT_READ | PROT_WRITE}. */
    public static final int PROT_RW = 3;
    /** {@code MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE}. */
    public static final int MAP_RESERVE = 0x02 | 0x20 | 0x4000;
    /** {@code MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED}. */
    public static final int MAP_FIXED_RW = 0x02 | 0x20 | 0x10;
    /** {@code MADV_DONTNEED}. */
    public static final int MADV_DONTNEED = 4;
    /** {@code MADV_HUGEPAGE}. */
    public static final int MADV_HUGEPAGE = 14;

    private static final MethodHandle MMAP = bind("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = bind("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MADVISE = bind("madvise",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));

    private BareSyscalls() {
    }

    /**
     * {@code mmap(address, length, prot, flags, -1, 0)}.
     *
     * @param address a hint, or the address for {@code MAP_FIXED}
     * @param length  the bytes
     * @param prot    the protection
     * @param flags   the flags
     * @return the mapping's address
     * @throws IllegalStateException if mmap failed
     */
    public static long mmap(final long address, final long length, final int prot, final int flags) {
        final long p;
        try {
            p = (long) MMAP.invokeExact(address, length, prot, flags, -1, 0L);
        } catch (final Throwable t) {
            throw new IllegalStateException("mmap downcall failed", t);
        }
        if (p == -1L) {
            throw new IllegalStateException("mmap(" + length + ") failed");
        }
        return p;
    }

    /**
     * {@code munmap(address, length)}.
     *
     * @param address the start
     * @param length  the bytes
     * @throws IllegalStateException if munmap failed
     */
    public static void munmap(final long address, final long length) {
        check((int) invoke(MUNMAP, address, length, Integer.MIN_VALUE), "munmap");
    }

    /**
     * {@code madvise(address, length, advice)}.
     *
     * @param address the start, page aligned
     * @param length  the bytes
     * @param advice  the advice
     * @throws IllegalStateException if madvise failed
     */
    public static void madvise(final long address, final long length, final int advice) {
        check((int) invoke(MADVISE, address, length, advice), "madvise");
    }

    private static Object invoke(final MethodHandle h, final long address, final long length, final int advice) {
        try {
            return advice == Integer.MIN_VALUE ? (int) h.invokeExact(address, length)
                    : (int) h.invokeExact(address, length, advice);
        } catch (final Throwable t) {
            throw new IllegalStateException("downcall failed", t);
        }
    }

    private static void check(final int rc, final String call) {
        if (rc != 0) {
            throw new IllegalStateException(call + " failed");
        }
    }

    @SuppressWarnings("restricted")
    private static MethodHandle bind(final String name, final FunctionDescriptor descriptor) {
        final Linker linker = Linker.nativeLinker();
        final MemorySegment symbol = linker.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("no symbol " + name + " in the C library"));
        return linker.downcallHandle(symbol, descriptor);
    }
}
