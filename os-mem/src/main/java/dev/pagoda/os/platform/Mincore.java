package dev.pagoda.os.platform;

import dev.pagoda.os.libc.Errno;
import dev.pagoda.os.libc.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.BitSet;

/**
 * {@code mincore(2)}: which pages of a range are resident. Callers check the arguments; this class only
 * calls.
 *
 * <p>The result vector holds one byte per page, bit 0 set when the page is resident (Linux documents the
 * other bits as reserved; Darwin's {@code MINCORE_INCORE} is the same bit). Long ranges are queried a window
 * of {@value #WINDOW_PAGES} pages at a time, so the vector stays small whatever the range; each query
 * allocates its vector in a confined arena of its own.
 */
public final class Mincore {
    /** How many pages one {@code mincore} call asks about at most. */
    public static final int WINDOW_PAGES = 1 << 16;

    /** {@code int mincore(void *addr, size_t length, unsigned char *vec)}, capturing errno. */
    private static final MethodHandle MINCORE = Libc.downcallWithErrno("mincore",
            FunctionDescriptor.of(Libc.C_INT, ValueLayout.ADDRESS, Libc.C_LONG, ValueLayout.ADDRESS));

    private Mincore() {
    }

    /**
     * Counts the resident pages of {@code pages} pages from the page-aligned {@code address}, setting bit
     * {@code i} of {@code resident} (if not {@code null}) when page {@code i} is resident.
     *
     * @param address  the first page of the range
     * @param pages    the number of pages, positive
     * @param pageSize the page size
     * @param resident receives the resident pages' indexes, or {@code null}
     * @return the number of resident pages
     * @throws dev.pagoda.os.NativeCallException if {@code mincore} fails, e.g. {@code ENOMEM} for an unmapped
     *                                           page
     */
    public static long scan(final long address, final long pages, final long pageSize, final BitSet resident) {
        final long window = Math.min(pages, WINDOW_PAGES);
        long count = 0;
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment vector = arena.allocate(window);
            for (long done = 0; done < pages; done += window) {
                final long n = Math.min(window, pages - done);
                final long start = address + done * pageSize;
                final long length = n * pageSize;
                final int rc = call(start, length, vector);
                if (rc != 0) {
                    throw Errno.callFailed("mincore", Libc.errno(),
                            "address=0x" + Long.toHexString(start) + ", bytes=" + length);
                }
                for (long i = 0; i < n; i++) {
                    if ((vector.get(ValueLayout.JAVA_BYTE, i) & 1) != 0) {
                        count++;
                        if (resident != null) {
                            resident.set(Math.toIntExact(done + i));
                        }
                    }
                }
            }
        }
        return count;
    }

    private static int call(final long address, final long length, final MemorySegment vector) {
        try {
            return (int) MINCORE.invokeExact(Libc.captureBuffer(), MemorySegment.ofAddress(address), length, vector);
        } catch (final Throwable ex) {
            throw Libc.unchecked("mincore", ex);
        }
    }
}
