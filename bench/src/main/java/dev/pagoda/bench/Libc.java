package dev.pagoda.bench;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The C library's {@code malloc}, {@code calloc}, {@code posix_memalign} and {@code free} as FFM downcalls, the peers of
 * {@link SmallObjectBenchmark}. Each handle is bound once, in this class's initialiser, with
 * {@link Linker#nativeLinker()}; pointers and {@code size_t} are passed as {@code long}s, which is exact on
 * LP64 (Linux and macOS on 64-bit CPUs).
 *
 * <p>The {@code *Critical} pair is bound with {@code Linker.Option.critical(false)}: the downcall skips the
 * thread-state transition that lets a safepoint proceed while native code runs. That is allowed only for
 * calls that return quickly and never block or call back, which holds for {@code malloc} and {@code free} of
 * small blocks (glibc's thread cache and bins; at worst a short lock or {@code brk}).
 *
 * <p>A null return becomes an {@link OutOfMemoryError}, as an exhausted Pagoda heap throws one.
 *
 * <p>Public for the workloads of {@code dev.pagoda.bench.workload}, which use {@link #malloc}, {@link #calloc},
 * {@link #posixMemalign} and {@link #free}.
 */
public final class Libc {
    private static final MethodHandle MALLOC = bind("malloc", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle CALLOC =
            bind("calloc", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREE = bind("free", FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle POSIX_MEMALIGN =
            bind("posix_memalign", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    /** Each thread's {@code void *} cell for {@code posix_memalign}'s result; 8 bytes a thread, never freed. */
    private static final ThreadLocal<MemorySegment> RESULT_CELL =
            ThreadLocal.withInitial(() -> Arena.global().allocate(JAVA_LONG));
    private static final MethodHandle MALLOC_CRITICAL =
            bind("malloc", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle FREE_CRITICAL =
            bind("free", FunctionDescriptor.ofVoid(JAVA_LONG), Linker.Option.critical(false));

    /** {@code ENOMEM} on Linux and macOS. */
    private static final int ENOMEM = 12;

    private Libc() {
    }

    /**
     * {@code malloc(size)}: {@code size} bytes, not zeroed, aligned to 16 bytes (glibc on 64-bit).
     *
     * @param size the bytes wanted
     * @return the address, never 0
     * @throws OutOfMemoryError if malloc returned null
     */
    public static long malloc(final long size) {
        final long address;
        try {
            address = (long) MALLOC.invokeExact(size);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
        return checked(address, "malloc", size);
    }

    /**
     * {@code calloc(1, size)}: {@code size} zeroed bytes.
     *
     * @param size the bytes wanted
     * @return the address, never 0
     * @throws OutOfMemoryError if calloc returned null
     */
    public static long calloc(final long size) {
        final long address;
        try {
            address = (long) CALLOC.invokeExact(1L, size);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
        return checked(address, "calloc", size);
    }

    /**
     * {@code posix_memalign(&result, alignment, size)}: {@code size} bytes, not zeroed, at a multiple of
     * {@code alignment}. The result comes back through a cell of the calling thread's own, so that the call
     * allocates no Java object once the thread has made its first.
     *
     * @param size      the bytes wanted
     * @param alignment a power of two, at least 8
     * @return the address, never 0
     * @throws OutOfMemoryError         if the C library has no memory ({@code ENOMEM})
     * @throws IllegalArgumentException if it rejects the alignment ({@code EINVAL})
     */
    public static long posixMemalign(final long size, final long alignment) {
        final MemorySegment cell = RESULT_CELL.get();
        final int error;
        try {
            error = (int) POSIX_MEMALIGN.invokeExact(cell, alignment, size);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
        if (error != 0) {
            final String what = "posix_memalign failed with error " + error + " for " + size + " bytes aligned to "
                    + alignment;
            if (error == ENOMEM) {
                throw new OutOfMemoryError(what);
            }
            throw new IllegalArgumentException(what);
        }
        return checked(cell.get(JAVA_LONG, 0), "posix_memalign", size);
    }

    /**
     * {@code free(address)}.
     *
     * @param address an address from {@link #malloc}, {@link #calloc}, {@link #posixMemalign} or
     *                {@link #mallocCritical}
     */
    public static void free(final long address) {
        try {
            FREE.invokeExact(address);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code malloc(size)} through a critical downcall.
     *
     * @param size the bytes wanted
     * @return the address, never 0
     * @throws OutOfMemoryError if malloc returned null
     */
    public static long mallocCritical(final long size) {
        final long address;
        try {
            address = (long) MALLOC_CRITICAL.invokeExact(size);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
        return checked(address, "malloc", size);
    }

    /**
     * {@code free(address)} through a critical downcall.
     *
     * @param address an address from {@link #malloc}, {@link #calloc} or {@link #mallocCritical}
     */
    public static void freeCritical(final long address) {
        try {
            FREE_CRITICAL.invokeExact(address);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    private static long checked(final long address, final String function, final long size) {
        if (address == 0) {
            throw new OutOfMemoryError(function + " returned NULL for " + size + " bytes");
        }
        return address;
    }

    private static RuntimeException rethrow(final Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("downcall failed", t); // a downcall throws no checked exception
    }

    @SuppressWarnings("restricted")
    private static MethodHandle bind(final String name, final FunctionDescriptor descriptor,
                                     final Linker.Option... options) {
        final Linker linker = Linker.nativeLinker();
        final MemorySegment symbol = linker.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("no symbol " + name + " in the C library"));
        return linker.downcallHandle(symbol, descriptor, options);
    }
}
