package dev.pagoda.alloc;

import dev.pagoda.os.Platform;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The page heap on the real Linux kernel: zeroing, opting out of it, and giving memory back. */
@EnabledOnOs(OS.LINUX)
class PageHeapSystemTest {
    private final PageHeap heap = PageHeap.builder().build();
    private final long page = heap.pageSize();

    @AfterEach
    void close() {
        heap.close();
    }

    @Test
    void shouldHandOutZeroedPagesEvenWhenReusingDirtyOnes() {
        for (final long n : new long[] {1, 3, 16, 100, 600}) {
            final long a = heap.allocate(n);
            fill(a, n * page, (byte) 0xAB);
            heap.free(a);
            final long b = heap.allocate(n);
            assertEquals(a, b, "the same pages come back first");
            assertZero(b, n * page);
            heap.free(b);
        }
        heap.checkInvariants();
    }

    @Test
    void shouldSkipZeroingWhenTheCallerOptsOut() {
        final long a = heap.allocate(4);
        fill(a, 4 * page, (byte) 0x5C);
        heap.free(a);
        final long b = heap.allocate(4, false);
        assertEquals(a, b);
        assertEquals((byte) 0x5C, segment(b, 4 * page).get(ValueLayout.JAVA_BYTE, 4 * page - 1),
                "no zeroing was done, so the old contents are still there");
        heap.free(b);
    }

    @Test
    void shouldReturnFreedMemoryToTheOs() {
        final List<Long> runs = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            final long a = heap.allocate(256); // 2 MiB each, 64 MiB in all
            fill(a, 256 * page, (byte) 1);
            runs.add(a);
        }
        for (final long a : runs) {
            heap.free(a);
        }
        final long released = heap.releaseToOs();
        assertTrue(released >= 64L << 20, "released " + released);
        for (final long a : runs) {
            assertEquals(0, Platform.current().residency(a, 256 * page).residentPages());
        }
        heap.checkInvariants();
        // Released pages come back zeroed without software zeroing (MADV_DONTNEED), and Ready.
        final long again = heap.allocate(256);
        assertZero(again, 256 * page);
        heap.free(again);
        heap.checkInvariants();
    }

    @SuppressWarnings("restricted")
    private static MemorySegment segment(final long address, final long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    private static void fill(final long address, final long bytes, final byte value) {
        segment(address, bytes).fill(value);
    }

    private static void assertZero(final long address, final long bytes) {
        final MemorySegment s = segment(address, bytes);
        for (long off = 0; off < bytes; off += Long.BYTES) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, off) != 0) {
                throw new AssertionError("non-zero byte near offset " + off + " of " + bytes);
            }
        }
    }
}
