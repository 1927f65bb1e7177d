package dev.pagoda.verify;

import dev.pagoda.alloc.HugePagePolicy;
import dev.pagoda.alloc.PageHeap;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.PagodaOutOfMemoryError;
import dev.pagoda.alloc.ScavengerStats;
import dev.pagoda.os.Clock;
import dev.pagoda.os.FakeClock;
import dev.pagoda.os.MemState;
import dev.pagoda.os.OsMemory;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sequences of allocate / free / scavenge / release / generation / limit and target changes on a
 * {@link PageHeap} over the simulated OS with a fake clock, checked against a model of the live runs:
 * <ul>
 *   <li>released pages are never handed out without {@code used}: every page of a live run is Ready, and the
 *       heap's invariant checker (which checks every page's state and the accounting equations) passes after
 *       every action;</li>
 *   <li>after a settled cycle (two generations, so no density history is left), the scavenger's excess over its
 *       goals (live pages + 10%, 95% of the memory target) is under a page, unless the only free resident
 *       pages left lie in chunks that are dense now (at least 496 of 512 pages live), which it must leave;</li>
 *   <li>the heap's live-page counters equal the model's, and the released-bytes counters only grow.</li>
 * </ul>
 * Page caches are off, so every free page is visible to the scavenger and the bound is exact.
 */
class ScavengerProperties {
    private static final long PAGE = 8192;
    private static final long ARENA = 16L << 20;
    private static final long CHUNK = 512 * PAGE;
    private static final long GENERATION = 250_000_000L;
    private static final long HUGE = 256 * PAGE;

    sealed interface Action permits Alloc, Free, Scavenge, Settle, Release, Target, Limit, Tick {
    }

    record Alloc(long npages) implements Action {
    }

    record Free(int pick) implements Action {
    }

    record Scavenge() implements Action {
    }

    record Settle() implements Action {
    }

    record Release() implements Action {
    }

    record Target(long pages) implements Action {
    }

    record Limit(long pages) implements Action {
    }

    record Tick() implements Action {
    }

    @Provide
    Arbitrary<List<Action>> actions() {
        final Arbitrary<Action> alloc = Arbitraries.frequency(
                Tuple.of(6, Arbitraries.longs().between(1, 20)),
                Tuple.of(3, Arbitraries.longs().between(21, 512)),
                Tuple.of(1, Arbitraries.longs().between(513, 1500))).flatMap(a -> a).map(Alloc::new);
        final Arbitrary<Long> pages = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.longs().between(1, 4000)), Tuple.of(1, Arbitraries.just(Long.MAX_VALUE)));
        return Arbitraries.frequencyOf(
                Tuple.of(10, alloc),
                Tuple.of(9, Arbitraries.integers().between(0, 1000).map(Free::new)),
                Tuple.of(2, Arbitraries.just(new Scavenge())),
                Tuple.of(2, Arbitraries.just(new Settle())),
                Tuple.of(1, Arbitraries.just(new Release())),
                Tuple.of(2, Arbitraries.just(new Tick())),
                Tuple.of(1, pages.map(Target::new)),
                Tuple.of(1, pages.map(Limit::new)))
                .list().ofMinSize(1).ofMaxSize(50);
    }

    /**
     * Found by the property below (seed -4163030345655892252): an excess of 57 KiB over the memory target, rounded up
     * to 64 KiB of pages, made the scavenger pass over the one free page its goal needed as a "short hole".
     */
    @Example
    void anExcessJustUnder64KiBStillTakesAShortHole() {
        theScavengerMeetsItsGoalsAndNeverHandsOutReleasedPages(List.of(new Alloc(1), new Alloc(8), new Free(0),
                new Target(2), new Settle()), HugePagePolicy.SYSTEM);
    }

    @Property(tries = 400)
    void theScavengerMeetsItsGoalsAndNeverHandsOutReleasedPages(
            @ForAll("actions") final List<Action> actions, @ForAll final HugePagePolicy policy) {
        final OsMemory os = OsMemory.simulated();
        final FakeClock clock = Clock.fake(0);
        final TreeMap<Long, Long> live = new TreeMap<>();
        final java.util.Set<Long> touchedBlocks = new java.util.HashSet<>();
        long lastReleased = 0;
        try (PageHeap heap = PageHeap.builder().os(os).zeroing(false).pageCaches(false).backgroundScavenger(false)
                .arenaBytes(ARENA).addressSpaceBudget(64 * ARENA).clock(clock).hugePages(policy).build()) {
            for (final Action a : actions) {
                switch (a) {
                    case Alloc(final long n) -> {
                        try {
                            final long addr = heap.allocate(n);
                            assertEquals(n * PAGE, os.bytesIn(addr, n * PAGE, MemState.READY),
                                    "every page handed out is Ready");
                            live.put(addr, n);
                            if (n * PAGE <= ARENA) {
                                for (long b = addr & -HUGE; b < addr + n * PAGE; b += HUGE) {
                                    touchedBlocks.add(b); // only pages once handed out can be free and resident
                                }
                            }
                        } catch (final PagodaOutOfMemoryError limited) {
                            // the hard limit refused it: the heap must be unchanged, which the checks below see
                        }
                    }
                    case Free(final int pick) -> {
                        if (!live.isEmpty()) {
                            final long addr = live.keySet().stream().skip(pick % live.size()).findFirst().orElseThrow();
                            heap.free(addr);
                            live.remove(addr);
                        }
                    }
                    case Scavenge() -> heap.scavenge();
                    case Settle() -> {
                        for (int i = 0; i < 2; i++) {
                            clock.advance(GENERATION);
                            heap.scavenge();
                        }
                        checkSettled(heap, os, live, touchedBlocks);
                    }
                    case Release() -> {
                        heap.releaseToOs();
                        assertEquals(0, heap.stats().freeBytes(), "releaseToOs leaves no free resident page");
                    }
                    case Target(final long p) -> heap.memoryTarget(p == Long.MAX_VALUE ? p : p * PAGE);
                    case Limit(final long p) -> heap.memoryLimit(p == Long.MAX_VALUE ? p : p * PAGE);
                    case Tick() -> clock.advance(GENERATION / 2);
                }
                heap.checkInvariants();
                final PageHeapStats s = heap.stats();
                final long livePages = live.values().stream().mapToLong(Long::longValue).sum();
                final long smallLive = live.values().stream().filter(n -> n * PAGE <= ARENA).mapToLong(Long::longValue)
                        .sum();
                assertEquals(smallLive * PAGE, s.inUseBytes(), "live arena pages");
                assertEquals(livePages * PAGE, s.allocatedBytes(), "live pages");
                final long released = s.scavenger().releasedBytes();
                assertTrue(released >= lastReleased, "release counters only grow");
                lastReleased = released;
            }
        }
    }

    /**
     * After a settled cycle, either the goals are met (within a page) or no free resident page is left that
     * the scavenger may take: those left lie in chunks dense now, or, with huge pages in play, in huge pages
     * at least half live, or in holes shorter than the background scavenger's minimum run (8 pages).
     */
    private static void checkSettled(final PageHeap heap, final OsMemory os, final TreeMap<Long, Long> live,
                                     final java.util.Set<Long> touchedBlocks) {
        final PageHeapStats stats = heap.stats();
        final ScavengerStats s = stats.scavenger();
        final long target = s.memoryTargetBytes();
        final long readyGoal = target == Long.MAX_VALUE ? Long.MAX_VALUE : target / 100 * 95;
        final long excess = Math.max(s.retainedBytes() - s.goalBytes(), stats.readyBytes() - readyGoal);
        if (excess < PAGE) {
            return;
        }
        // Live pages per huge page (256 pages), from the model; arenas are aligned to their size.
        final long huge = HUGE;
        final Map<Long, Long> livePerHuge = new HashMap<>();
        final java.util.Set<Long> livePages = new java.util.HashSet<>();
        for (final Map.Entry<Long, Long> run : live.entrySet()) {
            if (run.getValue() * PAGE > ARENA) {
                continue; // a large run has its own mapping: nothing of it is ever free
            }
            for (long p = 0; p < run.getValue(); p++) {
                livePerHuge.merge((run.getKey() + p * PAGE) & -huge, 1L, Long::sum);
                livePages.add(run.getKey() + p * PAGE);
            }
        }
        final boolean inPlay = heap.hugePages().hugePagesInPlay();
        long protectedFree = 0;
        final boolean holesAllowed = excess >= 8 * PAGE; // below that, the scavenger takes holes of any length
        for (final long block : touchedBlocks) {
            final long chunk = block & -CHUNK;
            final long chunkLive = livePerHuge.getOrDefault(chunk, 0L) + livePerHuge.getOrDefault(chunk + huge, 0L);
            final long blockLive = livePerHuge.getOrDefault(block, 0L);
            if (chunkLive >= 496 || inPlay && blockLive >= 128) {
                protectedFree += os.bytesIn(block, huge, MemState.READY) - blockLive * PAGE;
            } else if (holesAllowed) {
                protectedFree += shortHoles(os, block, huge, livePages);
            }
        }
        final long allowed = protectedFree;
        assertTrue(allowed >= 0, "accounting");
        assertTrue(stats.freeBytes() <= allowed, () -> "after a settled cycle " + excess + " bytes exceed the goals "
                + "(retained " + s.retainedBytes() + ", goal " + s.goalBytes() + ", ready " + stats.readyBytes()
                + ", target " + target + ") yet " + stats.freeBytes() + " free resident bytes remain, of which only "
                + allowed + " lie in dense chunks or mostly used huge pages");
    }

    /** Bytes of free resident pages of the block that lie in runs shorter than 8 pages. */
    private static long shortHoles(final OsMemory os, final long block, final long bytes,
                                   final java.util.Set<Long> livePages) {
        long total = 0;
        long run = 0;
        for (long a = block; a <= block + bytes; a += PAGE) {
            final boolean freeResident = a < block + bytes && !livePages.contains(a)
                    && os.stateOf(a) == MemState.READY;
            if (freeResident) {
                run++;
            } else {
                total += run < 8 ? run * PAGE : 0;
                run = 0;
            }
        }
        return total;
    }
}
