package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.HeapStats;
import dev.pagoda.alloc.SizeClassStats;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The arenas of {@code heap.newArena()} / {@code newSharedArena()} carve their segments from slabs by bumping an
 * offset (issue 12, item 3). What any arena must do, whatever its implementation (these pass with one heap allocation
 * per segment too): segments aligned as asked, disjoint, zeroed on a zeroing heap even where an earlier arena wrote,
 * everything back in the heap after close, from one thread or several, and when allocations race a shared arena's
 * close, or when it is never closed. What only bump arenas do (the second group, which fails on the old arenas):
 * consecutive segments are contiguous within a slab, thousands of segments take a handful of heap allocations (also as
 * a debug heap's live allocations), and large requests are allocated on their own.
 */
@EnabledOnOs(OS.LINUX)
class BumpArenaTest {
    /** Every alignment the tests ask for, 1 to 4096. */
    private static final long[] ALIGNMENTS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};

    private static Heap heap() {
        return Heap.builder().jmx(false).build();
    }

    private static Arena open(final Heap heap, final boolean shared) {
        return shared ? heap.newSharedArena() : heap.newArena();
    }

    private static long liveObjects(final HeapStats stats) {
        long live = 0;
        for (final SizeClassStats c : stats.classes()) {
            live += c.liveObjects();
        }
        return live;
    }

    /** Nothing of any arena is left: no small object, no page run, and the heap is consistent. */
    private static void assertAllReturned(final Heap heap) {
        final HeapStats stats = heap.stats();
        assertEquals(0, liveObjects(stats), () -> "small objects still live: " + stats);
        assertEquals(0, stats.pageRunBytes(), () -> "page runs still live: " + stats);
        heap.checkInvariants();
    }

    /**
     * {@link #assertAllReturned} after other threads used the heap: their span caches go back to the page heap when
     * the reaper sees them ended, a moment after {@code join()}, and until then a span already uncounted may still
     * hold its pages. Waits up to 10 s for that.
     */
    private static void awaitAllReturned(final Heap heap) throws InterruptedException {
        Await.until(Duration.ofSeconds(10), () -> { }, () -> heap.stats().pageRunBytes() == 0);
        assertAllReturned(heap);
    }

    /** The byte a segment tagged {@code tag} holds at {@code offset}: never zero, different for neighbours. */
    private static byte pattern(final long tag, final long offset) {
        return (byte) ((tag * 0x9E3779B1L + offset * 7 + 1) % 255 + 1);
    }

    private static void stamp(final MemorySegment s, final long tag) {
        for (long i = 0; i < s.byteSize(); i++) {
            s.set(ValueLayout.JAVA_BYTE, i, pattern(tag, i));
        }
    }

    private static void assertStamped(final MemorySegment s, final long tag) {
        for (long i = 0; i < s.byteSize(); i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != pattern(tag, i)) {
                fail("segment " + tag + " at 0x" + Long.toHexString(s.address()) + " (" + s.byteSize()
                        + " bytes) was overwritten at offset " + i + ": another segment overlaps it");
            }
        }
    }

    private static void assertZero(final MemorySegment s, final String what) {
        for (long i = 0; i < s.byteSize(); i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != 0) {
                fail(what + ": byte " + i + " of the " + s.byteSize() + "-byte segment at 0x"
                        + Long.toHexString(s.address()) + " is not zero");
            }
        }
    }

    /** Sorted by address, no segment reaches into the next (a zero-byte segment counts as one byte). */
    private static void assertDisjoint(final List<MemorySegment> segments) {
        final List<MemorySegment> sorted = new ArrayList<>(segments);
        sorted.sort(Comparator.comparingLong(MemorySegment::address));
        for (int i = 1; i < sorted.size(); i++) {
            final MemorySegment a = sorted.get(i - 1);
            final MemorySegment b = sorted.get(i);
            assertTrue(a.address() + Math.max(1, a.byteSize()) <= b.address(), () -> "segments overlap: 0x"
                    + Long.toHexString(a.address()) + " + " + a.byteSize() + " and 0x" + Long.toHexString(b.address()));
        }
    }

    /** A size for the mixed workloads: mostly small, some around a slab's quarter, a few zero. */
    private static long mixedSize(final SplittableRandom random) {
        final int kind = random.nextInt(100);
        if (kind < 3) {
            return 0;
        }
        if (kind < 80) {
            return 1 + random.nextInt(256);
        }
        if (kind < 97) {
            return 1 + random.nextInt(4096);
        }
        return 1 + random.nextInt(64 << 10);
    }

    // ---- what every arena must do ----

    @ParameterizedTest(name = "shared={0}")
    @ValueSource(booleans = {false, true})
    void manySegmentsOfMixedSizesAndAlignmentsAreAlignedDisjointAndZeroedEvenWhereAnEarlierArenaWrote(
            final boolean shared) {
        try (Heap heap = heap()) {
            final SplittableRandom random = new SplittableRandom(12);
            // Three rounds: the later arenas get memory the earlier ones filled with patterns.
            for (int round = 0; round < 3; round++) {
                final List<MemorySegment> segments = new ArrayList<>();
                try (Arena arena = open(heap, shared)) {
                    for (int i = 0; i < 3000; i++) {
                        final long size = mixedSize(random);
                        final long alignment = ALIGNMENTS[random.nextInt(ALIGNMENTS.length)];
                        final MemorySegment s = arena.allocate(size, alignment);
                        assertEquals(size, s.byteSize());
                        assertEquals(0, s.address() % alignment, "aligned to " + alignment);
                        assertZero(s, "round " + round + ", segment " + i);
                        stamp(s, i);
                        segments.add(s);
                    }
                    for (int i = 0; i < segments.size(); i++) {
                        assertStamped(segments.get(i), i);
                    }
                    assertDisjoint(segments);
                }
                assertAllReturned(heap);
            }
        }
    }

    @ParameterizedTest(name = "shared={0}")
    @ValueSource(booleans = {false, true})
    void closeReturnsEverythingAfterManySlabsAndDirectRequests(final boolean shared) {
        try (Heap heap = heap()) {
            final Arena arena = open(heap, shared);
            final List<MemorySegment> segments = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; bytes < (8L << 20); i++) {
                // Enough for the slabs to reach their largest size several times over, with requests of every kind.
                final long size = i % 50 == 49 ? 300_000 + i : 1 + (i * 37L) % 2000;
                final MemorySegment s = arena.allocate(size, ALIGNMENTS[i % ALIGNMENTS.length]);
                s.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 1);
                segments.add(s);
                bytes += size;
            }
            assertTrue(heap.stats().pageRunBytes() > 0, "slabs and large requests are page runs");
            heap.checkInvariants();
            arena.close();
            for (final MemorySegment s : segments) {
                assertTrue(!s.scope().isAlive());
            }
            assertThrows(IllegalStateException.class, () -> segments.getLast().get(ValueLayout.JAVA_BYTE, 0));
            assertAllReturned(heap);
        }
    }

    @Test
    void aSharedArenaServesSeveralThreadsAtOnce() throws Exception {
        try (Heap heap = heap()) {
            final Arena arena = heap.newSharedArena();
            final int threads = 4;
            final int perThread = 5000;
            final List<List<MemorySegment>> made = new ArrayList<>();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final CountDownLatch start = new CountDownLatch(1);
            final List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final List<MemorySegment> mine = new ArrayList<>();
                made.add(mine);
                final int id = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        final SplittableRandom random = new SplittableRandom(id);
                        start.await();
                        for (int i = 0; i < perThread; i++) {
                            final long size = mixedSize(random);
                            final long alignment = ALIGNMENTS[random.nextInt(ALIGNMENTS.length)];
                            final MemorySegment s = arena.allocate(size, alignment);
                            if (s.address() % alignment != 0 || s.byteSize() != size) {
                                throw new AssertionError("segment " + s + " for " + size + " bytes at " + alignment);
                            }
                            assertZero(s, "thread " + id + ", segment " + i);
                            stamp(s, id * (long) perThread + i);
                            mine.add(s);
                        }
                    } catch (final Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            start.countDown();
            for (final Thread w : workers) {
                w.join();
            }
            assertNull(failure.get());
            final List<MemorySegment> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < perThread; i++) {
                    assertStamped(made.get(t).get(i), t * (long) perThread + i);
                }
                all.addAll(made.get(t));
            }
            assertDisjoint(all);
            arena.close();
            awaitAllReturned(heap);
        }
    }

    @RepeatedTest(5)
    void allocationsRacingASharedArenasCloseLeakNothing() throws Exception {
        try (Heap heap = heap()) {
            for (int round = 0; round < 100; round++) {
                final Arena arena = heap.newSharedArena();
                final int threads = 3;
                final CountDownLatch going = new CountDownLatch(threads);
                final AtomicReference<Throwable> odd = new AtomicReference<>();
                final List<Thread> workers = new ArrayList<>();
                final int seed = round;
                for (int t = 0; t < threads; t++) {
                    final int id = t;
                    workers.add(Thread.ofPlatform().start(() -> {
                        final SplittableRandom random = new SplittableRandom(seed * 31L + id);
                        try {
                            for (int i = 0; ; i++) {
                                // Small ones crossing slabs, and now and then one allocated on its own.
                                final long size = i % 499 == 498 ? 300_000 : mixedSize(random);
                                arena.allocate(size, ALIGNMENTS[random.nextInt(ALIGNMENTS.length)]);
                                if (i == 20) {
                                    going.countDown();
                                }
                            }
                        } catch (final IllegalStateException closed) {
                            // the arena closed under us: expected
                        } catch (final Throwable e) {
                            odd.compareAndSet(null, e);
                        }
                    }));
                }
                going.await();
                arena.close();
                for (final Thread w : workers) {
                    w.join();
                }
                assertNull(odd.get());
                assertEquals(0, liveObjects(heap.stats()), "small slabs of closed arenas still live");
            }
            awaitAllReturned(heap);
        }
    }

    @Test
    void anArenaWhoseHeapIsClosedRefusesToAllocateButItsSegmentsWork() {
        final Heap heap = heap();
        final Arena arena = heap.newArena();
        final MemorySegment s = arena.allocate(64);
        s.set(ValueLayout.JAVA_LONG, 0, 99);
        heap.close();
        assertThrows(IllegalStateException.class, () -> arena.allocate(64), "the heap is closed");
        assertEquals(99, s.get(ValueLayout.JAVA_LONG, 0));
        arena.close();
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_LONG, 0));
    }

    @Test
    void aNonZeroingHeapsArenaHandsOutDisjointSegments() {
        try (Heap heap = Heap.builder().jmx(false).zeroing(false).build()) {
            for (int round = 0; round < 2; round++) {
                final List<MemorySegment> segments = new ArrayList<>();
                try (Arena arena = heap.newArena()) {
                    final SplittableRandom random = new SplittableRandom(round);
                    for (int i = 0; i < 2000; i++) {
                        final MemorySegment s = arena.allocate(mixedSize(random),
                                ALIGNMENTS[random.nextInt(ALIGNMENTS.length)]);
                        stamp(s, i);
                        segments.add(s);
                    }
                    for (int i = 0; i < segments.size(); i++) {
                        assertStamped(segments.get(i), i);
                    }
                    assertDisjoint(segments);
                }
                assertAllReturned(heap);
            }
        }
    }

    @Test
    void anArenaNeverClosedGivesEverythingBackOnceUnreachable() throws Exception {
        try (Heap heap = heap()) {
            fillAndForget(heap);
            Await.until(Duration.ofSeconds(20), System::gc,
                    () -> liveObjects(heap.stats()) == 0 && heap.stats().pageRunBytes() == 0);
            assertAllReturned(heap);
        }
    }

    private static void fillAndForget(final Heap heap) {
        final Arena arena = heap.newArena();
        for (int i = 0; i < 20_000; i++) {
            arena.allocate(48, 16).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        }
        arena.allocate(300_000).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        assertTrue(heap.stats().pageRunBytes() > 0);
    }

    // ---- what only bump arenas do ----

    @Test
    void aDebugHeapsArenaWorksAndItsSlabsAreItsOnlyLiveAllocations() {
        try (Heap heap = Heap.builder().jmx(false).debug(true).build()) {
            for (int round = 0; round < 2; round++) {
                try (Arena arena = heap.newArena()) {
                    final List<MemorySegment> segments = new ArrayList<>();
                    for (int i = 0; i < 200; i++) {
                        final MemorySegment s = arena.allocate(40, 8);
                        assertZero(s, "a debug heap's slab, poisoned when an earlier arena freed it");
                        stamp(s, i);
                        segments.add(s);
                    }
                    for (int i = 0; i < segments.size(); i++) {
                        assertStamped(segments.get(i), i);
                    }
                    assertEquals(2, heap.liveAllocations().size(), "8000 bytes: the slabs of 4 and 8 KiB");
                }
                assertEquals(0, heap.liveAllocations().size());
                assertAllReturned(heap);
            }
        }
    }

    @ParameterizedTest(name = "shared={0}")
    @ValueSource(booleans = {false, true})
    void segmentsAreBumpedContiguouslyWithinASlabAndCrossIntoTheNext(final boolean shared) {
        try (Heap heap = heap(); Arena arena = open(heap, shared)) {
            // 40 bytes at 8: a size class would put them 48 apart; a bump arena 40, until a slab is full.
            final List<MemorySegment> segments = new ArrayList<>();
            int jumps = 0;
            for (int i = 0; i < 1000; i++) {
                final MemorySegment s = arena.allocate(40, 8);
                if (i > 0) {
                    final long gap = s.address() - segments.getLast().address();
                    if (gap != 40) {
                        jumps++;
                    }
                }
                stamp(s, i);
                segments.add(s);
            }
            // 40 000 bytes: the slabs of 4, 8 and 16 KiB fill, so at least three boundaries were crossed (and the
            // segments either side of each are intact); the 32 KiB slab holds the rest.
            assertTrue(jumps >= 3 && jumps <= 4, "slab boundaries crossed: " + jumps);
            for (int i = 0; i < segments.size(); i++) {
                assertStamped(segments.get(i), i);
            }
            assertDisjoint(segments);
        }
    }

    @Test
    void thousandsOfSegmentsTakeAHandfulOfHeapAllocations() {
        try (Heap heap = heap()) {
            final Arena arena = heap.newArena();
            arena.allocate(64);
            assertEquals(1, liveObjects(heap.stats()), "the first slab is one small object");
            for (int i = 0; i < 100_000; i++) {
                arena.allocate(24, 8);
            }
            // 2.4 MB: slabs of 4..32 KiB (small objects), then 64 KiB..1 MiB page runs, then 1 MiB ones.
            final HeapStats stats = heap.stats();
            assertEquals(4, liveObjects(stats), "the small slabs of 4, 8, 16 and 32 KiB");
            assertTrue(stats.pageRunBytes() >= 2_400_000 - (60 << 10) && stats.pageRunBytes() <= (4L << 20),
                    () -> "page-run slabs: " + stats.pageRunBytes());
            arena.close();
            assertAllReturned(heap);
        }
    }

    @Test
    void requestsAboveAQuarterOfTheLargestSlabAreAllocatedOnTheirOwn() {
        try (Heap heap = heap(); Arena arena = heap.newArena()) {
            for (int i = 0; i < 50_000; i++) {
                arena.allocate(64); // the slabs grow to their largest, 1 MiB
            }
            final long slabs = heap.stats().pageRunBytes();
            final MemorySegment big = arena.allocate((256 << 10) + 1, 16);
            assertEquals((256 << 10) + 1, big.byteSize());
            assertTrue(heap.usableSize(big.address()) >= big.byteSize(), "its address is a heap allocation");
            assertTrue(heap.stats().pageRunBytes() - slabs >= (256 << 10) + 1, "a page run of its own");
            assertZero(big, "a request allocated on its own");
            final MemorySegment next = arena.allocate(64);
            assertThrows(IllegalArgumentException.class, () -> heap.usableSize(next.address()),
                    "a small segment is carved from a slab: its address is no heap allocation");
            final MemorySegment aligned = arena.allocate(64, 1L << 20);
            assertEquals(0, aligned.address() % (1L << 20), "an alignment beyond a slab's quarter, on its own");
            assertTrue(heap.usableSize(aligned.address()) >= 64);
        }
    }
}
