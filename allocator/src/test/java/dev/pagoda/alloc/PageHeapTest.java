package dev.pagoda.alloc;

import dev.pagoda.os.MemState;
import dev.pagoda.os.Operation;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsOutOfMemoryException;
import dev.pagoda.os.Simulation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The page heap over the simulated OS: growth, runs, frees, misuse, limits, release, caches. */
class PageHeapTest {
    private static final long PAGE = 8192;
    private static final long ARENA = 64L << 20;

    private final Simulation kernel = Simulation.builder().build();
    private final OsMemory os = OsMemory.simulated(kernel);
    private PageHeap heap = PageHeap.builder().os(os).zeroing(false).backgroundScavenger(false).build();

    @AfterEach
    void close() {
        heap.close();
    }

    @Test
    void shouldReserveNothingUntilTheFirstAllocation() {
        assertEquals(0, os.stats().ownedBytes());
        final long a = heap.allocate(1);
        assertNotEquals(0, a);
        assertEquals(0, a % PAGE);
        assertEquals(ARENA, heap.stats().arenaBytes());
        assertEquals(PAGE, heap.stats().inUseBytes());
        assertEquals(MemState.READY, os.stateOf(a));
        heap.checkInvariants();
    }

    @Test
    void shouldHandOutNonOverlappingRunsOfEverySize() {
        final TreeMap<Long, Long> live = new TreeMap<>();
        final SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 2000; i++) {
            if (!live.isEmpty() && rnd.nextInt(3) == 0) {
                final long a = live.keySet().stream().skip(rnd.nextInt(live.size())).findFirst().orElseThrow();
                heap.free(a);
                live.remove(a);
            } else {
                final long n = rnd.nextInt(10) == 0 ? 1 + rnd.nextInt(3000) : 1 + rnd.nextInt(16);
                final long a = heap.allocate(n);
                assertEquals(n, heap.pages(a));
                final var below = live.floorEntry(a);
                assertTrue(below == null || below.getKey() + below.getValue() * PAGE <= a, "overlaps the run below");
                final var above = live.ceilingEntry(a);
                assertTrue(above == null || a + n * PAGE <= above.getKey(), "overlaps the run above");
                live.put(a, n);
            }
        }
        heap.checkInvariants();
        final long inUse = live.values().stream().mapToLong(Long::longValue).sum() * PAGE;
        assertEquals(inUse, heap.stats().inUseBytes());
        for (final long a : live.keySet()) {
            heap.free(a);
        }
        assertEquals(0, heap.stats().inUseBytes());
        heap.checkInvariants();
    }

    @Test
    void shouldReuseTheLowestFreePagesFirst() {
        final long a = heap.allocate(4);
        final long b = heap.allocate(4);
        heap.free(a);
        assertEquals(a, heap.allocate(4));
        assertTrue(b > a);
    }

    @Test
    void shouldServeSmallRunsWhenTheCachedGroupIsFragmented() {
        final long[] singles = new long[128];
        for (int i = 0; i < singles.length; i++) {
            singles[i] = heap.allocate(1);
        }
        for (int i = 0; i < singles.length; i += 2) {
            heap.free(singles[i]); // the cache's group now has only isolated free pages
        }
        for (final int n : new int[] {2, 3, 15, 7}) {
            final long a = assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> heap.allocate(n));
            assertEquals(n, heap.pages(a));
        }
        heap.checkInvariants();
    }

    @Test
    void shouldKeepAFewLongerFreedRunsPerThreadForTheSameLength() {
        heap.allocate(1); // this thread now has a cache
        final long a = heap.allocate(64);
        heap.free(a);
        assertEquals(64 * PAGE, heap.stats().cachedBytes() - 63 * PAGE, "the run is kept, beside the group's 63");
        heap.checkInvariants();
        assertEquals(a, heap.allocate(64), "the same length takes it back");
        final long b = heap.allocate(200);
        heap.free(b);
        assertEquals(63 * PAGE, heap.stats().cachedBytes(), "runs over 128 pages are not kept");
        heap.free(a);
        heap.releaseToOs();
        assertEquals(0, heap.stats().cachedBytes(), "releaseToOs takes kept runs back too");
        heap.checkInvariants();
    }

    @Test
    void shouldServeRunsSpanningSeveralChunks() {
        final long a = heap.allocate(1500);
        assertEquals(1500, heap.pages(a));
        heap.checkInvariants();
        heap.free(a);
        heap.checkInvariants();
    }

    @Test
    void shouldGiveRunsLargerThanAnArenaTheirOwnReservation() {
        final long n = ARENA / PAGE + 1;
        final long a = heap.allocate(n);
        assertEquals(n, heap.pages(a));
        assertEquals(n * PAGE, heap.stats().largeBytes());
        assertEquals(0, heap.stats().arenas());
        heap.checkInvariants();
        heap.free(a);
        assertEquals(MemState.NONE, os.stateOf(a));
        assertEquals(0, heap.stats().largeBytes());
        assertEquals(0, os.stats().ownedBytes());
    }

    @Test
    void shouldRefuseBadPageCounts() {
        assertMessage(() -> heap.allocate(0), "npages=0");
        assertMessage(() -> heap.allocate(-3), "npages=-3");
        assertMessage(() -> heap.allocate(Long.MAX_VALUE), "npages=" + Long.MAX_VALUE);
        assertEquals(0, os.stats().ownedBytes(), "nothing was reserved");
    }

    @Test
    void shouldRefuseFreesOfAnythingButALiveRunStartAndStayUnchanged() {
        final long a = heap.allocate(4);
        final long b = heap.allocate(2);
        final PageHeapStats before = heap.stats();
        assertMessage(() -> heap.free(a + PAGE), "not the start of a live run");
        assertMessage(() -> heap.free(a + 1), "not the start of a live run");
        assertMessage(() -> heap.free(0), "not allocated by this heap");
        assertMessage(() -> heap.free(-PAGE), "not allocated by this heap");
        try (PageHeap other = PageHeap.builder().os(OsMemory.simulated(kernel)).zeroing(false).build()) {
            final long c = other.allocate(1);
            assertMessage(() -> heap.free(c), "not allocated by this heap");
        }
        assertEquals(before, heap.stats());
        heap.free(a);
        assertMessage(() -> heap.free(a), "freed already");
        heap.checkInvariants();
        heap.free(b);
        assertEquals(0, heap.stats().inUseBytes());
    }

    @Test
    void shouldThrowOutOfMemoryWithRequestLimitAndUsageWhenTheBudgetIsExhausted() {
        heap.close();
        heap = PageHeap.builder().os(os).zeroing(false).addressSpaceBudget(2 * ARENA).build();
        final long a = heap.allocate(ARENA / PAGE);
        final long b = heap.allocate(ARENA / PAGE);
        final PagodaOutOfMemoryError e = assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(1));
        assertTrue(e.getMessage().contains("address-space budget " + 2 * ARENA), e.getMessage());
        assertEquals(2 * ARENA, e.limitBytes());
        assertEquals(2 * ARENA, e.usedBytes());
        assertEquals(ARENA, e.requestBytes());
        assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(ARENA / PAGE + 1), "large runs too");
        heap.checkInvariants();
        heap.free(b);
        assertEquals(b, heap.allocate(1), "usable again once memory is freed");
        heap.free(a);
    }

    @Test
    void shouldTurnEnomemFromTheOsIntoOutOfMemoryAndStayConsistent() {
        kernel.failNth(Operation.MAP, 1, 12);
        final PagodaOutOfMemoryError e = assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(1));
        assertInstanceOf(OsOutOfMemoryException.class, e.getCause());
        heap.checkInvariants();
        final long a = heap.allocate(1);
        heap.checkInvariants();
        kernel.failNth(Operation.RESERVE, 1, 12);
        assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(ARENA / PAGE + 1));
        heap.checkInvariants();
        heap.free(a);
    }

    @Test
    void shouldReleaseFreePagesToTheOsAndMakeThemReadyOnReuse() {
        final List<Long> runs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            runs.add(heap.allocate(20));
        }
        runs.forEach(heap::free);
        final long released = heap.releaseToOs();
        assertTrue(released >= 100 * 20 * PAGE, "released " + released);
        final PageHeapStats s = heap.stats();
        assertEquals(0, s.freeBytes());
        assertEquals(0, s.cachedBytes());
        assertEquals(s.releasedBytes(), os.stats().preparedBytes());
        heap.checkInvariants();
        final long a = heap.allocate(20);
        assertEquals(MemState.READY, os.stateOf(a + 19 * PAGE));
        heap.checkInvariants();
        heap.free(a);
    }

    @Test
    void shouldServeSmallRunsFromThePageCacheAndFlushItOnRelease() {
        final long a = heap.allocate(1);
        heap.free(a);
        assertTrue(heap.stats().cachedBytes() > 0, "the thread's cache holds free pages");
        heap.checkInvariants();
        heap.releaseToOs();
        assertEquals(0, heap.stats().cachedBytes());
        heap.checkInvariants();
    }

    @Test
    void shouldFlushACacheWhenItsThreadEndsAndAcceptFreesFromOtherThreads() throws Exception {
        final long[] got = new long[1];
        final Thread t = Thread.ofPlatform().start(() -> got[0] = heap.allocate(3));
        t.join();
        heap.free(got[0]); // freed by another thread than the allocating one
        heap.checkInvariants();
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (heap.stats().cachedBytes() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(0, heap.stats().cachedBytes(), "the ended thread's cache was flushed (this thread has none)");
        heap.checkInvariants();
    }

    @Test
    void shouldServeVirtualThreadsWithoutPerThreadCaches() throws Exception {
        final List<Thread> threads = new ArrayList<>();
        final long[] addresses = new long[200];
        for (int i = 0; i < addresses.length; i++) {
            final int id = i;
            threads.add(Thread.ofVirtual().start(() -> addresses[id] = heap.allocate(1 + id % 4)));
        }
        for (final Thread t : threads) {
            t.join();
        }
        assertEquals(0, heap.stats().cachedBytes());
        for (final long a : addresses) {
            heap.free(a);
        }
        heap.checkInvariants();
    }

    @Test
    void shouldUnmapEverythingOnCloseAndRefuseUseAfterwards() {
        heap.allocate(5);
        heap.allocate(ARENA / PAGE + 1);
        heap.close();
        assertEquals(0, os.stats().ownedBytes());
        assertThrows(IllegalStateException.class, () -> heap.allocate(1));
        assertThrows(IllegalStateException.class, () -> heap.free(1L << 30));
        heap.close(); // idempotent
    }

    @Test
    void shouldRefuseZeroingOverASimulatedOs() {
        assertMessage(() -> PageHeap.builder().os(OsMemory.simulated()).build(), "zeroing(false)");
        assertMessage(() -> heap.allocate(1, true), "zeroing(false)");
    }

    @Test
    void shouldValidateTheBuilder() {
        assertMessage(() -> PageHeap.builder().pageSize(3000), "pageSize=3000");
        assertMessage(() -> PageHeap.builder().arenaBytes(3L << 20), "arenaBytes=3145728");
        assertMessage(() -> PageHeap.builder().addressSpaceBudget(0), "addressSpaceBudget=0");
        assertMessage(() -> PageHeap.builder().os(os).zeroing(false).arenaBytes(1L << 20).build(),
                "arenaBytes must be at least a chunk");
    }

    private static void assertMessage(final org.junit.jupiter.api.function.Executable call, final String part) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), () -> "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
    }

    @Test
    void shouldKeepPagesOfAFreedRunOutOfTheOsAfterRelease() {
        final long a = heap.allocate(40);
        heap.free(a);
        heap.releaseToOs();
        assertFalse(os.bytesIn(a, 40 * PAGE, MemState.READY) > 0);
        assertEquals(40 * PAGE, os.bytesIn(a, 40 * PAGE, MemState.PREPARED));
    }
}
