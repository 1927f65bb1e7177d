package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.HeapStats;
import dev.pagoda.alloc.PageHeap;
import dev.pagoda.alloc.SizeClassStats;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryStats;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing things in any order, from any thread: the heap, its arenas, and calls racing the close. Every case here
 * crashed the JVM, deadlocked or leaked before the heap's close learned to wait for system calls in flight
 * ({@code CloseGate}), to fence its own memory accesses with a JDK arena ({@code HeapMemory}), and to keep its
 * memory mapped under open arenas. Each heap gets its own {@link OsMemory}, whose counters show what is left
 * mapped at the end: nothing, once everything is closed.
 */
@EnabledOnOs(OS.LINUX)
class HeapLifecycleTest {

    private static Heap heap(final OsMemory os, final boolean zeroing) {
        return Heap.builder().os(os).zeroing(zeroing).jmx(false).build();
    }

    private static void assertNothingMapped(final OsMemory os) {
        assertEquals(new OsMemoryStats(0, 0, 0), os.stats(), "memory left after everything was closed");
    }

    private static long liveObjects(final Heap heap) {
        final HeapStats stats = heap.stats();
        long live = 0;
        for (final SizeClassStats c : stats.classes()) {
            live += c.liveObjects();
        }
        return live;
    }

    // ---- 1. segments of open arenas outlive heap.close() ----

    @Test
    void confinedArenaSegmentsKeepWorkingAfterHeapCloseUntilTheArenaCloses() {
        final OsMemory os = OsMemory.system();
        final Heap heap = heap(os, true);
        final Arena arena = heap.newArena();
        final MemorySegment small = arena.allocate(64);
        final MemorySegment run = arena.allocate(1 << 20);
        final MemorySegment large = arena.allocate(80L << 20); // above an arena: a dedicated reservation
        small.set(ValueLayout.JAVA_LONG, 0, 42);
        large.set(ValueLayout.JAVA_LONG, large.byteSize() - 8, 43);

        heap.close();

        assertEquals(42, small.get(ValueLayout.JAVA_LONG, 0), "a segment of an open arena works after heap.close()");
        assertEquals(0, run.get(ValueLayout.JAVA_LONG, 8));
        assertEquals(43, large.get(ValueLayout.JAVA_LONG, large.byteSize() - 8));
        assertTrue(os.stats().readyBytes() > 0, "the memory stays mapped while the arena is open");
        assertThrows(IllegalStateException.class, heap::newArena, "no new arena on a closed heap");
        assertThrows(IllegalStateException.class, () -> heap.allocate(8));

        arena.close();

        assertThrows(IllegalStateException.class, () -> small.get(ValueLayout.JAVA_LONG, 0));
        assertThrows(IllegalStateException.class, () -> large.get(ValueLayout.JAVA_LONG, 0));
        assertNothingMapped(os);
    }

    @Test
    void sharedArenaReadByAnotherThreadWhileTheHeapClosesThenTheArena() throws Exception {
        final OsMemory os = OsMemory.system();
        final Heap heap = heap(os, true);
        final Arena arena = heap.newSharedArena();
        final MemorySegment s = arena.allocate(ValueLayout.JAVA_LONG, 1024);
        s.setAtIndex(ValueLayout.JAVA_LONG, 1023, 7);
        final AtomicLong reads = new AtomicLong();
        final AtomicReference<Throwable> end = new AtomicReference<>();
        final CountDownLatch reading = new CountDownLatch(1);
        final Thread reader = new Thread(() -> {
            try {
                while (true) {
                    assertEquals(7, s.getAtIndex(ValueLayout.JAVA_LONG, 1023));
                    if (reads.incrementAndGet() == 1000) {
                        reading.countDown();
                    }
                }
            } catch (final Throwable t) {
                end.set(t);
            }
        });
        reader.start();
        reading.await();
        heap.close();
        final long atClose = reads.get();
        while (reads.get() < atClose + 1000 && reader.isAlive()) {
            Thread.onSpinWait();
        }
        assertTrue(reader.isAlive(), () -> "the reader stopped after heap.close(): " + end.get());
        arena.close();
        reader.join();
        assertTrue(end.get() instanceof IllegalStateException, () -> "the reader ended with " + end.get());
        assertNothingMapped(os);
    }

    @Test
    void closingInEveryOrderLeavesNothingMapped() {
        for (int order = 0; order < 4; order++) {
            final OsMemory os = OsMemory.system();
            final Heap heap = heap(os, true);
            final Arena a = heap.newArena();
            final Arena b = heap.newSharedArena();
            a.allocate(100);
            b.allocate(100_000);
            switch (order) {
                case 0 -> { a.close(); b.close(); heap.close(); }
                case 1 -> { heap.close(); a.close(); b.close(); }
                case 2 -> { a.close(); heap.close(); b.close(); }
                default -> { b.close(); heap.close(); heap.close(); a.close(); }
            }
            assertNothingMapped(os);
        }
    }

    @Test
    void anArenaNeverClosedIsCleanedOnceUnreachableAndTheHeapsMemoryThenGoes() throws Exception {
        final OsMemory os = OsMemory.system();
        final Heap heap = heap(os, true);
        openAndForget(heap);
        heap.close();
        Await.until(Duration.ofSeconds(20), System::gc, () -> os.stats().ownedBytes() == 0);
        assertNothingMapped(os);
    }

    private static void openAndForget(final Heap heap) {
        final Arena arena = heap.newArena();
        arena.allocate(4096).fill((byte) 1);
    }

    // ---- 2. close() racing calls inside Pagoda ----

    @RepeatedTest(10)
    void closeRacingAllocateFreeOfZeroedRunsThrowsOrCompletes() throws Exception {
        race(heap -> heap.free(heap.allocate(800 << 10)), true);
    }

    @RepeatedTest(10)
    void closeRacingReallocateCopiesThrowsOrCompletes() throws Exception {
        race(heap -> heap.free(heap.reallocate(heap.allocate(64), 100_000)), true);
    }

    @RepeatedTest(10)
    void closeRacingSmallObjectsOfADebugHeapThrowsOrCompletes() throws Exception {
        final OsMemory os = OsMemory.system();
        final Heap heap = Heap.builder().os(os).debug(true).jmx(false).build();
        raceOn(os, heap, h -> h.free(h.allocate(48)));
    }

    /** Item 5: close() and an allocating thread once deadlocked on the grow lock and a page cache's monitor. */
    @RepeatedTest(10)
    void closeRacingGrowthOfANonZeroingHeapDoesNotDeadlock() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> race(heap -> heap.allocate(65536), false));
    }

    /** Item 8: close() racing releaseToOs() once left 64 MiB mapped for good. */
    @RepeatedTest(10)
    void closeRacingReleaseToOsGivesEverythingBack() throws Exception {
        race(heap -> {
            final long a = heap.allocate(4 << 20);
            heap.free(a);
            heap.releaseToOs();
        }, false);
    }

    private interface Step {
        void run(Heap heap);
    }

    private static void race(final Step step, final boolean zeroing) throws Exception {
        final OsMemory os = OsMemory.system();
        raceOn(os, heap(os, zeroing), step);
    }

    /**
     * Runs {@code step} in a loop on another thread, closes the heap once it has run a few times, and checks that the
     * loop ended with {@link IllegalStateException} only and that nothing is left mapped.
     */
    private static void raceOn(final OsMemory os, final Heap heap, final Step step) throws Exception {
        final AtomicReference<Throwable> end = new AtomicReference<>();
        final CountDownLatch started = new CountDownLatch(3);
        final Thread loop = new Thread(() -> {
            try {
                while (true) {
                    step.run(heap);
                    started.countDown();
                }
            } catch (final Throwable t) {
                end.set(t);
            }
        });
        loop.start();
        started.await();
        heap.close();
        loop.join();
        assertTrue(end.get() instanceof IllegalStateException, () -> "the racing loop ended with " + end.get());
        assertNothingMapped(os);
    }

    // ---- 3. the page heap under a Heap is no back door ----

    @Test
    void thePageHeapUnderAHeapRefusesWhatWouldBreakTheHeap() {
        try (Heap heap = Heap.builder().jmx(false).build()) {
            final PageHeap pages = heap.pageHeap();
            final long first = heap.allocate(16);
            assertThrows(UnsupportedOperationException.class, pages::close);
            assertThrows(UnsupportedOperationException.class, () -> pages.free(first));
            assertThrows(UnsupportedOperationException.class, () -> pages.allocate(1));
            assertThrows(UnsupportedOperationException.class, () -> pages.allocate(1, true));
            assertThrows(UnsupportedOperationException.class, () -> pages.allocateAligned(2, 16384));
            final long next = heap.allocate(16);
            heap.free(first);
            heap.free(next);
            pages.releaseToOs();
            assertTrue(pages.stats().inUseBytes() >= 0);
            heap.checkInvariants();
        }
    }

    // ---- 7. shared arenas: allocations racing close, cleanup actions that throw ----

    @Test
    void allocationsRacingASharedArenasCloseAreAllFreed() throws Exception {
        try (Heap heap = Heap.builder().jmx(false).build()) {
            for (int round = 0; round < 300; round++) {
                final Arena arena = heap.newSharedArena();
                final CountDownLatch going = new CountDownLatch(2);
                final List<Thread> threads = new ArrayList<>();
                final AtomicReference<Throwable> odd = new AtomicReference<>();
                for (int t = 0; t < 2; t++) {
                    final Thread thread = new Thread(() -> {
                        going.countDown();
                        try {
                            while (true) {
                                arena.allocate(48);
                            }
                        } catch (final IllegalStateException closed) {
                            // the arena closed under us: expected
                        } catch (final Throwable t2) {
                            odd.set(t2);
                        }
                    });
                    threads.add(thread);
                    thread.start();
                }
                going.await();
                arena.close();
                for (final Thread thread : threads) {
                    thread.join();
                }
                assertNull(odd.get());
            }
            assertEquals(0, liveObjects(heap), "allocations of closed arenas still live");
            heap.checkInvariants();
        }
    }

    @Test
    @SuppressWarnings("restricted")
    void aCleanupActionThatThrowsStillFreesTheArenasAllocations() {
        try (Heap heap = Heap.builder().jmx(false).build()) {
            final Arena arena = heap.newArena();
            arena.allocate(64);
            arena.allocate(200_000);
            arena.allocate(64).reinterpret(arena, s -> {
                throw new IllegalStateException("cleanup failed");
            });
            assertThrows(IllegalStateException.class, arena::close);
            assertEquals(0, liveObjects(heap), "the arena's small objects");
            assertEquals(0, heap.stats().pageRunBytes(), "the arena's page run");
            assertThrows(IllegalStateException.class, arena::close, "a second close is refused, as the JDK's is");
        }
    }

    @Test
    void aConfinedArenaClosedFromAnotherThreadStaysOpenAndUsable() throws Exception {
        try (Heap heap = Heap.builder().jmx(false).build()) {
            final Arena arena = heap.newArena();
            final MemorySegment s = arena.allocate(64);
            final AtomicReference<Throwable> refused = new AtomicReference<>();
            final Thread other = new Thread(() -> {
                try {
                    arena.close();
                } catch (final Throwable t) {
                    refused.set(t);
                }
            });
            other.start();
            other.join();
            assertTrue(refused.get() instanceof WrongThreadException, () -> "closing from another thread: " + refused);
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) 5);
            assertEquals(1, liveObjects(heap));
            arena.close();
            assertEquals(0, liveObjects(heap));
        }
    }

    // ---- 13. use after close throws ----

    @Test
    void everyOperationAfterCloseThrowsIllegalStateException() {
        final Heap heap = Heap.builder().jmx(false).build();
        final long small = heap.allocate(64);
        final long run = heap.allocate(100_000);
        heap.close();
        assertThrows(IllegalStateException.class, () -> heap.usableSize(small));
        assertThrows(IllegalStateException.class, () -> heap.usableSize(run));
        assertThrows(IllegalStateException.class, () -> heap.reallocate(small, 100_000));
        assertThrows(IllegalStateException.class, () -> heap.reallocate(run, 10));
        assertThrows(IllegalStateException.class, () -> heap.memoryLimit(1L << 30));
        assertThrows(IllegalStateException.class, () -> heap.memoryTarget(1L << 30));
        assertThrows(IllegalStateException.class, () -> heap.free(small));
        assertThrows(IllegalStateException.class, () -> heap.allocate(1));
        assertThrows(IllegalStateException.class, heap::newSharedArena);
        assertThrows(IllegalStateException.class, () -> heap.pageHeap().pages(run));
        assertDoesNotThrow(heap::close, "close is idempotent");
    }

    // ---- 19. the Arena contract: a size no one can serve is an OutOfMemoryError ----

    @Test
    void anArenaAllocationNoAddressSpaceCanHoldIsAnOutOfMemoryError() {
        try (Heap heap = Heap.builder().jmx(false).build(); Arena arena = heap.newArena()) {
            assertThrows(OutOfMemoryError.class, () -> arena.allocate(Long.MAX_VALUE, 2));
            assertThrows(OutOfMemoryError.class, () -> arena.allocate(Long.MAX_VALUE - 100, 1));
            assertThrows(OutOfMemoryError.class, () -> arena.allocate(1L << 60, 8));
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(-1, 8));
            assertEquals(16, arena.allocate(16, 8).byteSize(), "the arena still works");
        }
    }
}
