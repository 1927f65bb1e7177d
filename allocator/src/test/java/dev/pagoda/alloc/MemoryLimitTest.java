package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hard limit on Ready bytes, on the simulated OS. */
class MemoryLimitTest {
    private static final long PAGE = 8192;

    @Test
    void shouldRefuseMemoryBeyondTheLimitNamingRequestLimitAndUsage() {
        try (PageHeap heap = PageHeap.builder().os(OsMemory.simulated()).zeroing(false).backgroundScavenger(false).pageCaches(false)
                .memoryLimit(100 * PAGE).build()) {
            final long a = heap.allocate(90);
            final PagodaOutOfMemoryError e = assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(20));
            assertTrue(e.getMessage().contains("memory limit"), e.getMessage());
            assertEquals(100 * PAGE, e.limitBytes());
            assertEquals(90 * PAGE, e.usedBytes());
            assertEquals(20 * PAGE, e.requestBytes());
            heap.checkInvariants();
            heap.allocate(10);
            heap.free(a);
            heap.allocate(20); // reuses freed, still Ready pages: no new Ready memory needed
            heap.checkInvariants();
        }
    }

    @Test
    void shouldReleaseFreePagesBeforeFailing() {
        try (PageHeap heap = PageHeap.builder().os(OsMemory.simulated()).zeroing(false).backgroundScavenger(false).pageCaches(false)
                .memoryLimit(100 * PAGE).build()) {
            final List<Long> runs = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                runs.add(heap.allocate(10));
            }
            heap.free(runs.remove(0));
            heap.free(runs.remove(0));
            // 70 pages live and 20 free but Ready; a 30-page run that does not fit the holes needs new Ready
            // memory: the heap must give the 20 free pages back first, and then it fits.
            final long big = heap.allocate(30);
            assertTrue(heap.os().stats().readyBytes() <= 100 * PAGE);
            heap.free(big);
            heap.checkInvariants();
        }
    }

    @Test
    void shouldChangeTheLimitAtRunTime() {
        try (PageHeap heap = PageHeap.builder().os(OsMemory.simulated()).zeroing(false).backgroundScavenger(false).pageCaches(false).build()) {
            assertEquals(Long.MAX_VALUE, heap.memoryLimit());
            heap.allocate(50);
            heap.memoryLimit(60 * PAGE);
            assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(20));
            heap.memoryLimit(Long.MAX_VALUE);
            heap.allocate(20);
            assertThrows(IllegalArgumentException.class, () -> heap.memoryLimit(0));
            assertThrows(IllegalArgumentException.class, () -> PageHeap.builder().memoryLimit(-5));
        }
    }

    @Test
    void shouldApplyTheLimitToLargeRunsToo() {
        try (PageHeap heap = PageHeap.builder().os(OsMemory.simulated()).zeroing(false).arenaBytes(4L << 20)
                .memoryLimit(8L << 20).build()) {
            assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate((9L << 20) / PAGE));
            heap.allocate((6L << 20) / PAGE);
            heap.checkInvariants();
        }
    }
}
