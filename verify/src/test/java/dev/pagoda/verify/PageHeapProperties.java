package dev.pagoda.verify;

import dev.pagoda.alloc.PageHeap;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.PagodaOutOfMemoryError;
import dev.pagoda.os.MemState;
import dev.pagoda.os.Operation;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryException;
import dev.pagoda.os.Simulation;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sequences of allocate / free / release / injected OS failures on a {@link PageHeap} over the simulated
 * OS, checked after every action against a model of the live runs: runs never overlap, every page of a live
 * run is Ready in the OS layer, the heap's counters equal the model's, and the heap's own invariant checker
 * (summaries, caches, states, accounting equations) passes. Injected failures must surface as
 * {@link PagodaOutOfMemoryError} or {@link OsMemoryException} and change nothing the model can see.
 */
class PageHeapProperties {
    private static final long PAGE = 8192;
    /** Small arenas (two chunks) so that growth, new arenas and large runs happen often. */
    private static final long ARENA = 8L << 20;

    sealed interface Action permits Alloc, Free, Release, Fail {
    }

    record Alloc(long npages) implements Action {
    }

    record Free(int pick) implements Action {
    }

    record Release() implements Action {
    }

    record Fail(Operation op, int nth) implements Action {
    }

    @Provide
    Arbitrary<List<Action>> actions() {
        final Arbitrary<Action> alloc = Arbitraries.frequency(
                net.jqwik.api.Tuple.of(12, Arbitraries.longs().between(1, 15)),
                net.jqwik.api.Tuple.of(4, Arbitraries.longs().between(16, 600)),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(600, 1100)),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(ARENA / PAGE + 1, ARENA / PAGE + 300)))
                .flatMap(a -> a).map(Alloc::new);
        final Arbitrary<Action> free = Arbitraries.integers().between(0, 1000).map(Free::new);
        final Arbitrary<Action> release = Arbitraries.just(new Release());
        final Arbitrary<Action> fail = net.jqwik.api.Combinators.combine(
                Arbitraries.of(Operation.MAP, Operation.RESERVE, Operation.USED, Operation.UNUSED),
                Arbitraries.integers().between(1, 3)).as(Fail::new);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(10, alloc),
                net.jqwik.api.Tuple.of(8, free),
                net.jqwik.api.Tuple.of(1, release),
                net.jqwik.api.Tuple.of(1, fail)).list().ofMinSize(1).ofMaxSize(60);
    }

    @Property(tries = 1000)
    void everyActionKeepsTheHeapConsistentWithTheModel(@ForAll("actions") final List<Action> actions) {
        final Simulation kernel = Simulation.builder().build();
        final OsMemory os = OsMemory.simulated(kernel);
        final TreeMap<Long, Long> live = new TreeMap<>();
        try (PageHeap heap = PageHeap.builder().os(os).zeroing(false).backgroundScavenger(false).arenaBytes(ARENA)
                .addressSpaceBudget(12 * ARENA).build()) {
            for (final Action a : actions) {
                switch (a) {
                    case Alloc(final long n) -> {
                        try {
                            final long address = heap.allocate(n);
                            assertFree(live, address, n);
                            live.put(address, n);
                        } catch (final PagodaOutOfMemoryError expected) {
                            // budget exhausted or an injected ENOMEM: nothing may have changed
                        } catch (final OsMemoryException expected) {
                            // an injected non-ENOMEM failure of used: nothing may have changed
                        }
                    }
                    case Free(final int pick) -> {
                        if (!live.isEmpty()) {
                            final long address = new ArrayList<>(live.keySet()).get(pick % live.size());
                            heap.free(address);
                            live.remove(address);
                        }
                    }
                    case Release() -> {
                        try {
                            heap.releaseToOs();
                        } catch (final OsMemoryException expected) {
                            // an injected unused failure: the run stays resident
                        }
                    }
                    case Fail(final Operation op, final int nth) -> kernel.failNth(op, nth, nth == 1 ? 12 : 22);
                }
                check(heap, os, live, a);
            }
            kernel.clearFailures();
            for (final long address : live.keySet()) {
                heap.free(address);
            }
            final PageHeapStats s = heap.stats();
            assertEquals(0, s.inUseBytes());
            assertEquals(0, s.largeBytes());
            heap.checkInvariants();
        }
        assertEquals(0, os.stats().ownedBytes(), "close gives everything back");
    }

    private static void assertFree(final TreeMap<Long, Long> live, final long address, final long n) {
        final Map.Entry<Long, Long> below = live.floorEntry(address);
        assertTrue(below == null || below.getKey() + below.getValue() * PAGE <= address, "overlaps the run below");
        final Map.Entry<Long, Long> above = live.ceilingEntry(address);
        assertTrue(above == null || address + n * PAGE <= above.getKey(), "overlaps the run above");
    }

    private static void check(final PageHeap heap, final OsMemory os, final TreeMap<Long, Long> live, final Action a) {
        heap.checkInvariants();
        long arenaPages = 0;
        long largeBytes = 0;
        for (final Map.Entry<Long, Long> e : live.entrySet()) {
            final long bytes = e.getValue() * PAGE;
            assertEquals(bytes, os.bytesIn(e.getKey(), bytes, MemState.READY), () -> "live run not Ready after " + a);
            assertEquals(e.getValue(), heap.pages(e.getKey()));
            if (e.getValue() > ARENA / PAGE) {
                largeBytes += bytes;
            } else {
                arenaPages += e.getValue();
            }
        }
        final PageHeapStats s = heap.stats();
        assertEquals(arenaPages * PAGE, s.inUseBytes(), () -> "in-use bytes after " + a);
        assertEquals(largeBytes, s.largeBytes(), () -> "large bytes after " + a);
        assertEquals(s.arenaBytes(), s.ungrownBytes() + s.inUseBytes() + s.cachedBytes() + s.freeBytes()
                + s.releasedBytes());
        assertEquals(s.readyBytes(), s.inUseBytes() + s.cachedBytes() + s.freeBytes() + s.largeBytes());
        assertEquals(s.reservedBytes(), s.arenaBytes() + s.largeBytes());
    }
}
