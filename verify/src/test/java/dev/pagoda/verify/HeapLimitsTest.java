package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.PageHeap;
import dev.pagoda.alloc.PagodaOutOfMemoryError;
import dev.pagoda.os.OsMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hard memory limit says yes to every allocation that fits under it, however the free memory is spread over
 * threads' caches, and no to the rest; and a heap's limit and statistics are its own. Before the limit's path learnt
 * to fill a page cache only when the limit has room for a whole group and to take free pages back from every cache
 * before failing, a thread's first 16-byte allocation needed 512 KiB of headroom.
 */
@EnabledOnOs(OS.LINUX)
class HeapLimitsTest {

    @Test
    void aSmallAllocationUnderATinyLimitSucceeds() {
        try (Heap heap = Heap.builder().memoryLimit(256 << 10).jmx(false).build()) {
            final long a = heap.allocate(16);
            final long b = heap.allocate(16 << 10);
            assertTrue(heap.pageHeap().os().stats().readyBytes() <= 256 << 10, "Ready memory within the limit");
            heap.free(a);
            heap.free(b);
            heap.checkInvariants();
        }
    }

    @Test
    void aPageHeapRunUnderATinyLimitSucceeds() {
        try (PageHeap pages = PageHeap.builder().memoryLimit(64 << 10).build()) {
            final long run = pages.allocate(2);
            assertThrows(PagodaOutOfMemoryError.class, () -> pages.allocate(16), "128 KiB do not fit in 64 KiB");
            pages.free(run);
            pages.checkInvariants();
        }
    }

    @Test
    void everyThreadAllocatesWhileOtherThreadsCachesHoldTheFreeMemory() throws Exception {
        final long limit = 32L << 20;
        try (Heap heap = Heap.builder().memoryLimit(limit).jmx(false).build()) {
            final int threads = 100;
            final CountDownLatch allocated = new CountDownLatch(threads);
            final CountDownLatch release = new CountDownLatch(1);
            final AtomicInteger refused = new AtomicInteger();
            final AtomicReference<Throwable> first = new AtomicReference<>();
            final List<Thread> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final Thread thread = new Thread(() -> {
                    try {
                        final long a = heap.allocate(16);
                        allocated.countDown();
                        release.await();
                        heap.free(a);
                    } catch (final Throwable e) {
                        refused.incrementAndGet();
                        first.compareAndSet(null, e);
                        allocated.countDown();
                    }
                });
                all.add(thread);
                thread.start();
            }
            allocated.await();
            try {
                assertEquals(0, refused.get(), () -> refused.get() + " threads could not allocate 16 bytes: " + first);
                // The caches of 100 live threads now hold most of the limit as free pages: a large allocation that
                // fits once they are taken back must succeed.
                final long big = heap.allocate(16L << 20);
                heap.free(big);
                assertTrue(heap.pageHeap().os().stats().readyBytes() <= limit + (1 << 20),
                        "Ready memory within the limit (one request of overshoot allowed)");
                assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(limit + 1), "what cannot fit fails");
            } finally {
                release.countDown();
                for (final Thread thread : all) {
                    thread.join();
                }
            }
            heap.checkInvariants();
        }
    }

    @Test
    void aSecondHeapOnTheSameOsMemoryIsRefusedUntilTheFirstCloses() {
        final OsMemory os = OsMemory.system();
        final Heap first = Heap.builder().os(os).jmx(false).build();
        first.allocate(1 << 20);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Heap.builder().os(os).jmx(false).build());
        assertTrue(e.getMessage().contains("already backs an open heap"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PageHeap.builder().os(os).build());
        first.close();
        try (Heap second = Heap.builder().os(os).jmx(false).build()) {
            second.allocate(64);
            second.checkInvariants();
        }
    }

    @Test
    void twoHeapsEachWithTheirOwnLayerHaveTheirOwnLimits() {
        try (Heap a = Heap.builder().memoryLimit(8L << 20).jmx(false).build();
             Heap b = Heap.builder().memoryLimit(8L << 20).jmx(false).build()) {
            final long big = b.allocate(6L << 20);
            final long other = a.allocate(6L << 20); // would pass a shared limit
            assertEquals(0, a.stats().pages().largeBytes());
            a.free(other);
            b.free(big);
            a.checkInvariants();
            b.checkInvariants();
        }
    }
}
