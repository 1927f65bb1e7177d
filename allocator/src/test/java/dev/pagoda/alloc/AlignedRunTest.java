package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs aligned above the page size (a database's 16 KiB pages on 8 KiB heap pages) come from the arenas, cut
 * out of a slightly longer run, not from a reservation of their own per allocation.
 */
class AlignedRunTest {
    private static final long PAGE = 8192;

    @Test
    void shouldCutAlignedRunsFromTheArenasAndGiveTheRestBack() {
        try (PageHeap heap = PageHeap.builder().os(OsMemory.simulated()).zeroing(false).backgroundScavenger(false)
                .pageCaches(false).build()) {
            final List<Long> runs = new ArrayList<>();
            for (final long alignment : new long[] {2 * PAGE, 4 * PAGE, 1L << 20}) {
                for (int i = 0; i < 50; i++) {
                    final long a = heap.allocateAligned(2, alignment);
                    assertEquals(0, a % alignment, () -> "aligned to " + alignment + ": 0x" + Long.toHexString(a));
                    assertEquals(2, heap.pages(a));
                    runs.add(a);
                }
            }
            final PageHeapStats s = heap.stats();
            assertEquals(0, s.largeCount(), "no reservation per allocation");
            assertEquals(300 * PAGE, s.inUseBytes(), "only the aligned runs stay allocated");
            heap.checkInvariants();
            runs.forEach(heap::free);
            assertEquals(0, heap.stats().inUseBytes());
            heap.checkInvariants();
        }
    }

    @Test
    void shouldServeSmallAlignedRunsFromTheThreadsPageCache() {
        try (PageHeap heap = PageHeap.builder().os(OsMemory.simulated()).zeroing(false).backgroundScavenger(false)
                .build()) {
            final List<Long> runs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                final long a = heap.allocateAligned(2, 2 * PAGE);
                assertEquals(0, a % (2 * PAGE));
                runs.add(a);
            }
            assertTrue(heap.stats().cachedBytes() > 0, "served from a page cache");
            heap.checkInvariants();
            runs.forEach(heap::free);
            heap.checkInvariants();
            assertEquals(0, heap.stats().inUseBytes());
        }
    }

    @Test
    @SuppressWarnings("restricted")
    void shouldHandOutZeroedAlignedMemoryAfterReuse() {
        try (Heap heap = Heap.builder().backgroundScavenger(false).jmx(false).build()) {
            for (int round = 0; round < 3; round++) {
                final List<Long> blocks = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    final long a = heap.allocate(16 << 10, 16 << 10);
                    assertEquals(0, a % (16 << 10));
                    final MemorySegment m = MemorySegment.ofAddress(a).reinterpret(16 << 10);
                    assertEquals(-1, m.mismatch(MemorySegment.ofArray(new byte[16 << 10])), "zeroed");
                    m.fill((byte) 0x5A);
                    blocks.add(a);
                }
                blocks.forEach(heap::free);
            }
            assertEquals(0, heap.stats().pages().largeCount());
            assertTrue(heap.stats().pages().arenas() <= 1, "all from one arena");
            heap.checkInvariants();
        }
    }
}
