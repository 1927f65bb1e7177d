package dev.pagoda.bench;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The C library's {@code malloc}, {@code calloc} and {@code free} as FFM downcalls, the peers of
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
 * <p>Public for the workloads of {@code dev.pagoda.bench.workload}, which use {@link #malloc} and
 * {@link #free}.
 */
public final class Libc {
    private static final MethodHandle MALLOC = bind("malloc", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle CALLOC =
            bind("calloc", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREE = bind("free", FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle MALLOC_CRITICAL =
            bind("malloc", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle FREE_CRITICAL =
            bind("free", FunctionDescriptor.ofVoid(JAVA_LONG), Linker.Option.critical(false));

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
     * {@code free(address)}.
     *
     * @param address an address from {@link #malloc}, {@link #calloc} or {@link #mallocCritical}
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
