package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Eviction before failure on the simulated OS, one thread: what a reclaimer is asked, what the heap does with what it
 * returns or throws, and when it is not asked at all. The multi-threaded and real-kernel cases are in the verify
 * module ({@code ReclaimerStressTest}).
 */
class ReclaimerTest {
    private static final long PAGE = 8192;

    private static PageHeap heap(final long limitPages) {
        return PageHeap.builder().os(OsMemory.simulated()).zeroing(false).backgroundScavenger(false).pageCaches(false)
                .memoryLimit(limitPages * PAGE).build();
    }

    /** A cache of runs of the page heap, evicted oldest first through the heap. */
    private static final class RunCache implements Reclaimer {
        final PageHeap heap;
        final ArrayDeque<Long> runs = new ArrayDeque<>();
        final List<Long> asked = new ArrayList<>();

        RunCache(final PageHeap heap) {
            this.heap = heap;
        }

        void put(final long npages) {
            runs.addLast(heap.allocate(npages));
        }

        @Override
        public long reclaim(final long bytesWanted) {
            asked.add(bytesWanted);
            long freed = 0;
            while (freed < bytesWanted && !runs.isEmpty()) {
                final long run = runs.pollFirst();
                freed += heap.pages(run) * PAGE;
                heap.free(run);
            }
            return freed;
        }
    }

    @Test
    void shouldAskForTheBytesTheAllocationLacksAndThenSucceed() {
        try (PageHeap heap = heap(100)) {
            final RunCache cache = new RunCache(heap);
            heap.onMemoryPressure(cache);
            for (int i = 0; i < 9; i++) {
                cache.put(10);
            }
            // 90 pages live, 10 of headroom: 20 more pages lack 10.
            cache.put(20);
            assertEquals(List.of(10 * PAGE), cache.asked, "asked for exactly what the allocation lacked");
            assertEquals(9, cache.runs.size(), "one run of 10 pages evicted");
            assertTrue(heap.os().stats().readyBytes() <= 100 * PAGE);
            final ReclaimStats s = heap.stats().reclaims();
            assertEquals(new ReclaimStats(1, 1, 1, 10 * PAGE, 10 * PAGE, 0, 1, 0, 0), s);
            heap.checkInvariants();
        }
    }

    @Test
    void shouldKeepACacheRunningPastTheLimitForever() {
        try (PageHeap heap = heap(256)) {
            final RunCache cache = new RunCache(heap);
            heap.onMemoryPressure(cache);
            final java.util.SplittableRandom random = new java.util.SplittableRandom(7);
            for (int i = 0; i < 5_000; i++) {
                cache.put(1 + random.nextInt(40));
                assertTrue(heap.os().stats().readyBytes() <= 256 * PAGE, "Ready within the limit");
            }
            assertTrue(heap.stats().reclaims().rounds() > 100, "the cache evicted, again and again");
            assertEquals(0, heap.stats().reclaims().allocationsFailed());
            heap.checkInvariants();
        }
    }

    @Test
    void shouldFailWhenTheReclaimersFreeNothingAfterOneRound() {
        try (PageHeap heap = heap(100)) {
            final AtomicInteger calls = new AtomicInteger();
            heap.onMemoryPressure(wanted -> {
                calls.incrementAndGet();
                return 0;
            });
            final long live = heap.allocate(90);
            final PagodaOutOfMemoryError e = assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(20));
            assertEquals(1, calls.get(), "a round that frees nothing ends the attempt");
            assertEquals("memory limit (Ready bytes)", e.limitName());
            assertEquals(1, heap.stats().reclaims().allocationsFailed());
            heap.free(live);
            heap.checkInvariants();
        }
    }

    @Test
    void shouldEscalateWhileRoundsFreeTooLittleAndStopAfterSixteen() {
        try (PageHeap heap = heap(100)) {
            final List<Long> asked = new ArrayList<>();
            heap.onMemoryPressure(wanted -> {
                asked.add(wanted);
                return 1; // claims a byte, frees nothing
            });
            heap.allocate(90);
            assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(20));
            assertEquals(16, asked.size(), "at most 16 rounds for one allocation");
            for (int i = 0; i < asked.size(); i++) {
                assertEquals((10 * PAGE) << i, asked.get(i), "each round asks twice as much");
            }
        }
    }

    @Test
    void shouldSuppressWhatReclaimersThrowIntoTheFailureAndGoOnWithTheNext() {
        try (PageHeap heap = heap(100)) {
            final RunCache cache = new RunCache(heap);
            final IllegalStateException boom = new IllegalStateException("injected");
            heap.onMemoryPressure(wanted -> {
                throw boom;
            });
            heap.onMemoryPressure(cache);
            for (int i = 0; i < 9; i++) {
                cache.put(10);
            }
            cache.put(20); // the first throws, the second evicts: the allocation succeeds
            assertEquals(1, cache.asked.size());
            assertEquals(1, heap.stats().reclaims().reclaimerFailures());
            cache.runs.forEach(heap::free);
            cache.runs.clear();
            heap.allocate(95);
            final PagodaOutOfMemoryError e = assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(20));
            assertSame(boom, e.getSuppressed()[0], "the reclaimer's exception travels with the failure");
            heap.checkInvariants();
        }
    }

    @Test
    void shouldCountANegativeReturnAsAFailure() {
        try (PageHeap heap = heap(100)) {
            heap.onMemoryPressure(wanted -> -1);
            heap.allocate(90);
            final PagodaOutOfMemoryError e = assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(20));
            final Throwable bad = e.getSuppressed()[0];
            assertInstanceOf(IllegalStateException.class, bad);
            assertTrue(bad.getMessage().contains("returned -1"), bad.getMessage());
        }
    }

    @Test
    void shouldLetAReclaimerAllocateButNeverRecurse() {
        try (PageHeap heap = heap(100)) {
            final AtomicInteger calls = new AtomicInteger();
            final AtomicLong inner = new AtomicLong();
            final List<Throwable> innerFailures = new ArrayList<>();
            heap.onMemoryPressure(wanted -> {
                calls.incrementAndGet();
                try {
                    heap.allocate(50); // needs the limit too: fails at once, asks nobody
                } catch (final PagodaOutOfMemoryError e) {
                    innerFailures.add(e);
                }
                inner.set(heap.allocate(1)); // fits in what the heap has: works
                return 0;
            });
            heap.allocate(90);
            assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(20));
            assertEquals(1, calls.get(), "the reclaimer's own allocation did not call it again");
            assertEquals(1, innerFailures.size());
            heap.free(inner.get());
            heap.checkInvariants();
        }
    }

    @Test
    void shouldPropagateTheJvmsOwnErrorsAndRecover() {
        try (PageHeap heap = heap(100)) {
            final AtomicInteger calls = new AtomicInteger();
            heap.onMemoryPressure(wanted -> {
                if (calls.incrementAndGet() == 1) {
                    throw new StackOverflowError("injected");
                }
                return 0;
            });
            heap.allocate(90);
            assertThrows(StackOverflowError.class, () -> heap.allocate(20));
            assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(20), "the next allocation runs a round");
            assertEquals(2, calls.get());
        }
    }

    @Test
    void shouldNotAskWhenReclaimingCannotHelp() {
        try (PageHeap heap = PageHeap.builder().os(OsMemory.simulated()).zeroing(false).backgroundScavenger(false)
                .memoryLimit(1000 * PAGE).arenaBytes(4L << 20).addressSpaceBudget(4L << 20).build()) {
            final AtomicInteger calls = new AtomicInteger();
            heap.onMemoryPressure(wanted -> {
                calls.incrementAndGet();
                return 0;
            });
            assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(1001), "larger than the limit itself");
            final PagodaOutOfMemoryError budget = assertThrows(PagodaOutOfMemoryError.class,
                    () -> heap.allocate(513), "a large run past the address-space budget");
            assertEquals("address-space budget", budget.limitName());
            assertEquals(0, calls.get(), "no reclaimer was asked");
        }
    }

    @Test
    void shouldStopAskingOnceUnregisteredOrClosed() {
        final PageHeap heap = heap(100);
        final AtomicInteger calls = new AtomicInteger();
        final Reclaimer.Registration r = heap.onMemoryPressure(wanted -> {
            calls.incrementAndGet();
            return 0;
        });
        assertEquals(1, heap.stats().reclaims().reclaimers());
        r.close();
        r.close(); // idempotent
        assertEquals(0, heap.stats().reclaims().reclaimers());
        heap.allocate(90);
        assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(20));
        assertEquals(0, calls.get());
        assertThrows(NullPointerException.class, () -> heap.onMemoryPressure(null));
        final Reclaimer.Registration late = heap.onMemoryPressure(wanted -> 0);
        heap.close();
        late.close(); // harmless after close
        assertThrows(IllegalStateException.class, () -> heap.onMemoryPressure(wanted -> 0));
    }

    @Test
    void shouldEvictSmallObjectsAndGiveTheirEmptySpansBack() {
        try (Heap heap = Heap.builder().os(OsMemory.simulated()).zeroing(false).jmx(false).backgroundScavenger(false)
                .memoryLimit(4L << 20).build()) {
            final ArrayDeque<Long> cache = new ArrayDeque<>();
            final AtomicLong asked = new AtomicLong();
            heap.onMemoryPressure(wanted -> {
                asked.addAndGet(wanted);
                long freed = 0;
                while (freed < wanted && !cache.isEmpty()) {
                    final long a = cache.pollFirst();
                    freed += heap.usableSize(a);
                    heap.free(a);
                }
                return freed;
            });
            // 100 MiB of 1 KiB, 3 KiB and 24 KiB objects through a 4 MiB limit: whole spans must come back.
            final long[] sizes = {1024, 3072, 24 << 10};
            for (int i = 0; i < 12_000; i++) {
                cache.addLast(heap.allocate(sizes[i % 3]));
            }
            assertTrue(heap.pageHeap().os().stats().readyBytes() <= 4L << 20, "Ready within the limit");
            final HeapStats s = heap.stats();
            assertTrue(s.reclaims().rounds() > 0 && s.reclaims().bytesReclaimed() >= asked.get() / 2,
                    s.reclaims()::toString);
            assertEquals(0, s.reclaims().allocationsFailed());
            heap.checkInvariants();
        }
    }
}
