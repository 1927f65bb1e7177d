package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.PagodaOutOfMemoryError;
import dev.pagoda.os.MemState;
import dev.pagoda.os.OsMemory;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sequences of allocate / aligned allocate / free (on this thread and on another) / arena use / release
 * on a {@link Heap} over the simulated OS, against a model of the live blocks: blocks never overlap, each is at
 * least as large as asked and aligned as asked, every byte of a live block lies in Ready pages, a second free
 * is always refused, and the page heap's invariant checker passes after every step.
 */
class HeapProperties {

    sealed interface Action permits Alloc, Free, RemoteFree, DoubleFree, WithArena, Release {
    }

    record Alloc(long size, long alignment) implements Action {
    }

    record Free(int pick) implements Action {
    }

    record RemoteFree(int pick) implements Action {
    }

    record DoubleFree(int pick) implements Action {
    }

    record WithArena(int count, long size) implements Action {
    }

    record Release() implements Action {
    }

    @Provide
    Arbitrary<List<Action>> actions() {
        final Arbitrary<Long> size = Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.longs().between(1, 1024)),
                Tuple.of(3, Arbitraries.longs().between(1025, 32768)),
                Tuple.of(1, Arbitraries.longs().between(32769, 3_000_000)));
        final Arbitrary<Long> alignment = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(1L)),
                Tuple.of(2, Arbitraries.integers().between(4, 13).map(b -> 1L << b)),
                Tuple.of(1, Arbitraries.integers().between(14, 21).map(b -> 1L << b)));
        final Arbitrary<Action> alloc = Combinators.combine(size, alignment).as(Alloc::new);
        final Arbitrary<Integer> pick = Arbitraries.integers().between(0, 10_000);
        return Arbitraries.frequencyOf(
                Tuple.of(10, alloc),
                Tuple.of(5, pick.map(Free::new)),
                Tuple.of(3, pick.map(RemoteFree::new)),
                Tuple.of(1, pick.map(DoubleFree::new)),
                Tuple.of(1, Combinators.combine(Arbitraries.integers().between(1, 40),
                        Arbitraries.longs().between(0, 5000)).as(WithArena::new)),
                Tuple.of(1, Arbitraries.just(new Release()))).list().ofMinSize(10).ofMaxSize(80);
    }

    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE)
    void everyStepKeepsBlocksDisjointReadyAndAccounted(@ForAll("actions") final List<Action> actions)
            throws Exception {
        final OsMemory os = OsMemory.simulated();
        final TreeMap<Long, Long> live = new TreeMap<>();
        final ExecutorService other = Executors.newSingleThreadExecutor();
        try (Heap heap = Heap.builder().os(os).zeroing(false).backgroundScavenger(false).build()) {
            for (final Action a : actions) {
                switch (a) {
                    case Alloc(final long size, final long alignment) -> {
                        final long address = heap.allocate(size, alignment);
                        assertEquals(0, address % Math.max(16, alignment), () -> "alignment of " + a);
                        final long usable = heap.usableSize(address);
                        assertTrue(usable >= size, () -> "usable size of " + a);
                        assertDisjoint(live, address, usable);
                        live.put(address, usable);
                    }
                    case Free(final int pick) -> {
                        if (!live.isEmpty()) {
                            final long address = pick(live, pick);
                            heap.free(address);
                            live.remove(address);
                        }
                    }
                    case RemoteFree(final int pick) -> {
                        if (!live.isEmpty()) {
                            final long address = pick(live, pick);
                            other.submit(() -> heap.free(address)).get();
                            live.remove(address);
                        }
                    }
                    case DoubleFree(final int pick) -> {
                        if (!live.isEmpty()) {
                            final long address = pick(live, pick);
                            heap.free(address);
                            live.remove(address);
                            assertThrows(IllegalArgumentException.class, () -> heap.free(address));
                        }
                    }
                    case WithArena(final int count, final long size) -> {
                        try (Arena arena = heap.newArena()) {
                            for (int i = 0; i < count; i++) {
                                final long address = arena.allocate(size, 8).address();
                                assertDisjoint(live, address, Math.max(1, size));
                            }
                        }
                    }
                    case Release() -> heap.releaseToOs();
                }
                check(heap, os, live, a);
            }
            for (final long address : live.keySet()) {
                heap.free(address);
            }
            heap.checkInvariants();
        } catch (final PagodaOutOfMemoryError e) {
            throw new AssertionError("the default budget is far above anything these sequences need", e);
        } finally {
            other.shutdownNow();
        }
    }

    private static long pick(final TreeMap<Long, Long> live, final int pick) {
        return new ArrayList<>(live.keySet()).get(pick % live.size());
    }

    private static void assertDisjoint(final TreeMap<Long, Long> live, final long address, final long usable) {
        final Map.Entry<Long, Long> below = live.floorEntry(address);
        assertTrue(below == null || below.getKey() + below.getValue() <= address, "overlaps the block below");
        final Map.Entry<Long, Long> above = live.ceilingEntry(address);
        assertTrue(above == null || address + usable <= above.getKey(), "overlaps the block above");
    }

    private static void check(final Heap heap, final OsMemory os, final TreeMap<Long, Long> live, final Action a) {
        heap.checkInvariants();
        // Every OS page under a live block is Ready; the other OS pages of its span may have gone back to the OS.
        final long osPage = os.pageSize();
        for (final Map.Entry<Long, Long> e : live.entrySet()) {
            final long first = e.getKey() & -osPage;
            final long end = (e.getKey() + e.getValue() + osPage - 1) & -osPage;
            assertEquals(end - first, os.bytesIn(first, end - first, MemState.READY),
                    () -> "a live block is not Ready after " + a);
            assertTrue(heap.usableSize(e.getKey()) >= 1);
        }
    }
}
