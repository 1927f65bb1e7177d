package dev.pagoda.verify;

import dev.pagoda.alloc.pagealloc.PageAlloc;
import dev.pagoda.alloc.pagealloc.PageCache;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link PageAlloc} and {@link ReferencePageAlloc} agree on every sequence of heap operations: growing (with
 * gaps of chunks never grown), first-fit allocation of 1 to thousands of pages, freeing whole and partial
 * runs, the scavenger's release of free runs, direct allocation of arbitrary ranges (legal or not), and two
 * {@link PageCache}s being filled, allocated from, freed into and flushed. After every step the two agree on
 * {@code find} for a spread of sizes (including the longest free run and one more), on the counters, and on
 * the state of every page; {@link PageAlloc#checkInvariants()} passes; and the pages handed out and the pages
 * held by caches never overlap and together are exactly the allocated pages.
 *
 * <p>The heap starts at one of several base chunks, so that sequences cross the boundaries of summary entries
 * at every level, up to the root's (chunk 4096, page 2<sup>21</sup>).
 */
class PageAllocProperties {
    private static final int CHUNK = PageAlloc.CHUNK_PAGES;
    /** The most chunks a sequence spans, grown or not. */
    private static final int MAX_CHUNKS = 40;
    private static final int CACHES = 2;

    // ---- actions ------------------------------------------------------------------------------------------

    /** One step; the {@code pick} fields choose among what exists when the step runs. */
    sealed interface Action permits Grow, GrowAt, Alloc, AllocAt, Free, Release, Fill, CacheAlloc, Flush {
    }

    /** Grows the next {@code chunks} chunks, after leaving one chunk ungrown if {@code gap}. */
    record Grow(int chunks, boolean gap) implements Action {
    }

    /** Grows one chunk of the span (or the next one); refused by both if it was grown already. */
    record GrowAt(int pick) implements Action {
    }

    /** find(npages) on both, then allocRange there. */
    record Alloc(int npages) implements Action {
    }

    /** allocRange of an arbitrary range of the span: both must succeed or refuse alike. */
    record AllocAt(int pick, int npages) implements Action {
    }

    /** Frees a live run, whole (offset = length = 0) or a part of it; through a cache if one takes it. */
    record Free(int pick, int offset, int length, boolean released) implements Action {
    }

    /** The scavenger: the first releasable page at or after a point, and a run of up to {@code max} from it. */
    record Release(int pick, int max) implements Action {
    }

    /** Flushes cache {@code cache} if it holds a group, then fills it from the allocator. */
    record Fill(int cache) implements Action {
    }

    /** Allocates {@code npages} from cache {@code cache}, filling it first if it holds no free page (as Go does). */
    record CacheAlloc(int cache, int npages) implements Action {
    }

    /** Flushes cache {@code cache} back to the allocator. */
    record Flush(int cache) implements Action {
    }

    @Provide
    Arbitrary<List<Action>> actions() {
        final Arbitrary<Integer> pick = Arbitraries.integers().between(0, 1 << 20);
        final Arbitrary<Integer> cache = Arbitraries.integers().between(0, CACHES - 1);
        final Arbitrary<Action> grow = Combinators.combine(Arbitraries.integers().between(1, 3),
                Arbitraries.of(false, false, false, true)).as(Grow::new);
        final Arbitrary<Action> growAt = pick.map(GrowAt::new);
        final Arbitrary<Action> alloc = sizes().map(Alloc::new);
        final Arbitrary<Action> allocAt = Combinators.combine(pick, Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers().between(1, 64)),
                Tuple.of(1, Arbitraries.integers().between(65, 1100)))).as(AllocAt::new);
        final Arbitrary<Integer> part = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(0)),
                Tuple.of(1, Arbitraries.integers().between(1, 1 << 16)));
        final Arbitrary<Action> free = Combinators.combine(pick, part, part,
                Arbitraries.of(false, false, false, false, true)).as(Free::new);
        final Arbitrary<Action> release = Combinators.combine(pick, Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.integers().between(1, 64)),
                Tuple.of(1, Arbitraries.integers().between(65, 1024)))).as(Release::new);
        final Arbitrary<Action> fill = cache.map(Fill::new);
        final Arbitrary<Action> cacheAlloc = Combinators.combine(cache, Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(1)),
                Tuple.of(4, Arbitraries.integers().between(2, PageCache.MAX_PAGES)))).as(CacheAlloc::new);
        final Arbitrary<Action> flush = cache.map(Flush::new);
        return Arbitraries.frequencyOf(
                Tuple.of(30, alloc),
                Tuple.of(22, free),
                Tuple.of(8, grow),
                Tuple.of(2, growAt),
                Tuple.of(6, allocAt),
                Tuple.of(8, release),
                Tuple.of(5, fill),
                Tuple.of(12, cacheAlloc),
                Tuple.of(4, flush)).list().ofMinSize(1).ofMaxSize(60).withSizeDistribution(RandomDistribution.uniform());
    }

    /** Allocation sizes: mostly small, but often enough hundreds to thousands of pages to span chunks. */
    private static Arbitrary<Integer> sizes() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(1)),
                Tuple.of(6, Arbitraries.integers().between(2, 15)),
                Tuple.of(4, Arbitraries.integers().between(16, 99)),
                Tuple.of(5, Arbitraries.integers().between(100, 2000)),
                Tuple.of(1, Arbitraries.of(64, 65, 511, 512, 513, 1023, 1024, 1025, 1536)),
                Tuple.of(1, Arbitraries.integers().between(2001, 8000)));
    }

    @Provide
    Arbitrary<Integer> baseChunks() {
        // Each base but the first lies two chunks below the boundary of summary entries of one level: chunk 8
        // (level 3), 64 (level 2), 512 (level 1) and 4096 (the root level, page 2^21).
        return Arbitraries.of(0, 6, 62, 510, 4094);
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void pageAllocAgreesWithTheReferenceOnEverySequence(
            @ForAll("baseChunks") final int baseChunk,
            @ForAll @IntRange(min = 1, max = 16) final int initialChunks,
            @ForAll("actions") final List<Action> actions) {
        final Run run = new Run(baseChunk);
        run.grow(initialChunks, false);
        run.check("initial grow");
        for (int i = 0; i < actions.size(); i++) {
            final Action a = actions.get(i);
            run.apply(a);
            run.check("step " + i + ": " + a);
        }
        run.drain();
        run.check("after freeing everything");
        assertEquals(0, run.pa.allocatedPages(), "allocated pages after freeing everything");
        assertEquals(run.longestGrownStretch(), run.ref.longestFreeRun(), "free run after freeing everything");
    }

    // ---- the two allocators and the test's own books -----------------------------------------------------

    /** What a cache should hold, kept by the test. */
    private static final class CacheModel {
        long base = -1;
        long free;
        long released;
    }

    /** A run of pages handed out to a user. */
    private record Live(long first, long n) {
    }

    private static final class Run {
        final PageAlloc pa = new PageAlloc();
        final ReferencePageAlloc ref = new ReferencePageAlloc();
        final PageCache[] caches = new PageCache[CACHES];
        final CacheModel[] models = new CacheModel[CACHES];
        final List<Live> live = new ArrayList<>();
        /** Pages handed out to users. */
        final BitSet owned = new BitSet();
        /** Pages held free by caches. */
        final BitSet cached = new BitSet();
        final int baseChunk;
        /** The chunk after the last one of the span. */
        int nextChunk;

        Run(final int baseChunk) {
            this.baseChunk = baseChunk;
            this.nextChunk = baseChunk;
            for (int c = 0; c < CACHES; c++) {
                caches[c] = new PageCache(c == 0);
                models[c] = new CacheModel();
            }
        }

        long spanStart() {
            return (long) baseChunk * CHUNK;
        }

        long spanEnd() {
            return (long) nextChunk * CHUNK;
        }

        void apply(final Action action) {
            switch (action) {
                case Grow g -> grow(g.chunks(), g.gap());
                case GrowAt g -> growAt(g.pick());
                case Alloc a -> alloc(a.npages());
                case AllocAt a -> allocAt(a.pick(), a.npages());
                case Free f -> free(f);
                case Release r -> release(r.pick(), r.max());
                case Fill f -> fill(f.cache());
                case CacheAlloc a -> cacheAlloc(a.cache(), a.npages());
                case Flush f -> flush(f.cache());
            }
        }

        void grow(final int chunks, final boolean gap) {
            final int first = nextChunk + (gap ? 1 : 0);
            if (first + chunks - baseChunk > MAX_CHUNKS) {
                return;
            }
            pa.grow((long) first * CHUNK, (long) chunks * CHUNK);
            ref.grow((long) first * CHUNK, (long) chunks * CHUNK);
            nextChunk = first + chunks;
        }

        void growAt(final int pick) {
            final int chunk = baseChunk + pick % (nextChunk - baseChunk + 1);
            if (chunk - baseChunk >= MAX_CHUNKS) {
                return;
            }
            final long first = (long) chunk * CHUNK;
            final String expected = outcome(() -> {
                ref.grow(first, CHUNK);
                return 0L;
            });
            final String actual = outcome(() -> {
                pa.grow(first, CHUNK);
                return 0L;
            });
            assertEquals(expected, actual, "grow of chunk " + chunk);
            nextChunk = Math.max(nextChunk, chunk + 1);
        }

        void alloc(final int npages) {
            final long p = pa.find(npages);
            assertEquals(ref.find(npages), p, "find(" + npages + ")");
            if (p >= 0) {
                assertEquals(ref.allocRange(p, npages), pa.allocRange(p, npages), "released pages of the run");
                handOut(p, npages);
            }
        }

        void allocAt(final int pick, final int npages) {
            final long lo = Math.max(0, spanStart() - 64);
            final long room = spanEnd() - lo - npages;
            if (room < 0) {
                return;
            }
            final long first = lo + pick % (room + 1);
            final String expected = outcome(() -> ref.allocRange(first, npages));
            final String actual = outcome(() -> pa.allocRange(first, npages));
            assertEquals(expected, actual, "allocRange(" + first + ", " + npages + ")");
            if (actual.startsWith("ok")) {
                handOut(first, npages);
            }
        }

        void free(final Free f) {
            if (live.isEmpty()) {
                return;
            }
            final Live run = live.remove(f.pick() % live.size());
            long first = run.first();
            long n = run.n();
            if (f.offset() != 0 || f.length() != 0) {
                final long offset = f.offset() % n;
                final long length = 1 + f.length() % (n - offset);
                if (offset > 0) {
                    live.add(new Live(first, offset));
                }
                if (offset + length < n) {
                    live.add(new Live(first + offset + length, n - offset - length));
                }
                first += offset;
                n = length;
            }
            owned.clear((int) first, (int) (first + n));
            for (int c = 0; c < CACHES; c++) {
                final CacheModel m = models[c];
                final boolean inGroup = m.base >= 0 && first >= m.base && first + n <= m.base + 64;
                final boolean taken = caches[c].free(first, (int) Math.min(n, Integer.MAX_VALUE));
                assertEquals(inGroup, taken, "cache " + c + " taking [" + first + ", +" + n + ") with base " + m.base);
                if (taken) {
                    final long mask = mask(first - m.base, n);
                    assertEquals(0, m.free & mask, "freeing pages the cache holds free");
                    m.free |= mask;
                    cached.set((int) first, (int) (first + n));
                    return;
                }
            }
            ref.freeRange(first, n, f.released());
            pa.freeRange(first, n, f.released());
        }

        void release(final int pick, final int max) {
            final long hi = spanEnd() + 64;
            final long below = pick % 4 == 0 ? Long.MAX_VALUE : pick % hi;
            final int block = 64 << (pick % 4);
            final long run = pa.findReleasableBelow(below, max, block);
            assertEquals(ref.findReleasableBelow(below, max, block), run,
                    "findReleasableBelow(" + below + ", " + max + ", " + block + ")");
            if (run < 0) {
                return;
            }
            final long p = run >>> 10;
            final long n = run & 1023;
            assertTrue(n > 0 && n <= max && p / block == (p + n - 1) / block, "a run within one block, at most max");
            assertEquals(0, pa.allocRange(p, n), "released pages in a releasable run");
            assertEquals(0, ref.allocRange(p, n));
            pa.freeRange(p, n, true);
            ref.freeRange(p, n, true);
        }

        void fill(final int c) {
            if (models[c].base >= 0) {
                flush(c);
            }
            final CacheModel m = models[c];
            final long first = ref.find(1);
            final boolean filled = pa.allocToCache(caches[c]);
            assertEquals(first >= 0, filled, "allocToCache succeeds exactly when a page is free");
            if (!filled) {
                assertEquals(-1, caches[c].base());
                return;
            }
            m.base = first & ~63L;
            m.free = 0;
            m.released = 0;
            for (int i = 0; i < 64; i++) {
                final long page = m.base + i;
                if (!ref.isAllocated(page)) {
                    m.free |= 1L << i;
                    if (ref.allocRange(page, 1) == 1) {
                        m.released |= 1L << i;
                    }
                    cached.set((int) page);
                }
            }
            assertEquals(m.base, caches[c].base(), "base of the filled group");
            assertTrue(m.free != 0 && (m.free & 1L << (first - m.base)) != 0, "the group holds the first free page");
        }

        void cacheAlloc(final int c, final int npages) {
            if (models[c].free == 0) {
                fill(c);
            }
            final CacheModel m = models[c];
            int bit = -1;
            for (int i = 0; i + npages <= 64 && bit < 0; i++) {
                if ((m.free & mask(i, npages)) == mask(i, npages)) {
                    bit = i;
                }
            }
            final long p = caches[c].alloc(npages);
            if (bit < 0) {
                assertEquals(-1, p, "cache alloc(" + npages + ") of free mask " + Long.toHexString(m.free));
                return;
            }
            assertEquals(m.base + bit, p, "cache alloc(" + npages + ") of free mask " + Long.toHexString(m.free));
            final long mask = mask(bit, npages);
            assertEquals(Long.bitCount(m.released & mask), caches[c].lastReleased(), "lastReleased");
            final boolean zeroed = c == 0 && (m.released & mask) == mask;
            assertEquals(zeroed, caches[c].lastZeroed(), "lastZeroed");
            m.free &= ~mask;
            m.released &= ~mask;
            cached.clear((int) p, (int) p + npages);
            handOut(p, npages);
        }

        void flush(final int c) {
            final CacheModel m = models[c];
            pa.flush(caches[c]);
            for (int i = 0; i < 64; i++) {
                if ((m.free >>> i & 1) != 0) {
                    ref.freeRange(m.base + i, 1, (m.released >>> i & 1) != 0);
                    cached.clear((int) (m.base + i));
                }
            }
            m.base = -1;
            m.free = 0;
            m.released = 0;
            assertEquals(-1, caches[c].base(), "base after flush");
            assertEquals(0, caches[c].pages(), "pages after flush");
        }

        /** Flushes the caches and frees every live run. */
        void drain() {
            for (int c = 0; c < CACHES; c++) {
                flush(c);
            }
            while (!live.isEmpty()) {
                free(new Free(0, 0, 0, false));
            }
        }

        void handOut(final long first, final long n) {
            final int from = (int) first;
            final int to = (int) (first + n);
            final int clash = owned.nextSetBit(from);
            assertTrue(clash < 0 || clash >= to, "page " + clash + " of [" + first + ", +" + n + ") is live already");
            final int held = cached.nextSetBit(from);
            assertTrue(held < 0 || held >= to, "page " + held + " of [" + first + ", +" + n + ") is held by a cache");
            owned.set(from, to);
            live.add(new Live(first, n));
        }

        void check(final String after) {
            try {
                pa.checkInvariants();
            } catch (final IllegalStateException e) {
                fail("invariants after " + after + ": " + e.getMessage(), e);
            }
            assertEquals(ref.grownPages(), pa.grownPages(), () -> "grown pages after " + after);
            assertEquals(ref.allocatedPages(), pa.allocatedPages(), () -> "allocated pages after " + after);
            assertEquals(ref.releasedPages(), pa.releasedPages(), () -> "released pages after " + after);
            assertEquals(pa.grownPages() - pa.allocatedPages() - pa.releasedPages(), pa.freeResidentPages(),
                    () -> "free resident pages after " + after);
            assertEquals(owned.cardinality() + cached.cardinality(), pa.allocatedPages(),
                    () -> "allocated pages are the live ones plus the cached ones after " + after);
            final long lo = Math.max(0, spanStart() - CHUNK);
            final long hi = spanEnd() + CHUNK;
            for (long p = lo; p < hi; p++) {
                final boolean allocated = pa.isAllocated(p);
                if (allocated != ref.isAllocated(p) || pa.isReleased(p) != ref.isReleased(p)
                        || pa.isGrown(p) != ref.isGrown(p)) {
                    fail("page " + p + " after " + after + ": allocated/released/grown "
                            + allocated + "/" + pa.isReleased(p) + "/" + pa.isGrown(p) + " but the reference says "
                            + ref.isAllocated(p) + "/" + ref.isReleased(p) + "/" + ref.isGrown(p));
                }
                if (ref.isGrown(p) && allocated != (owned.get((int) p) || cached.get((int) p))) {
                    fail("page " + p + " after " + after + ": allocated=" + allocated + " but live="
                            + owned.get((int) p) + ", cached=" + cached.get((int) p));
                }
            }
            final long longest = ref.longestFreeRun();
            for (final long n : new long[]{1, 2, 15, 64, 65, 512, 513, 1500, Math.max(1, longest), longest + 1}) {
                assertEquals(ref.find(n), pa.find(n), () -> "find(" + n + ") after " + after + " (longest free run "
                        + longest + ")");
            }
            for (int c = 0; c < CACHES; c++) {
                final CacheModel m = models[c];
                final int cache = c;
                assertEquals(m.base, caches[c].base(), () -> "cache " + cache + " base after " + after);
                assertEquals(m.free, caches[c].freeMask(), () -> "cache " + cache + " free mask after " + after);
                assertEquals(m.released & m.free, caches[c].releasedMask(),
                        () -> "cache " + cache + " released mask after " + after);
            }
        }

        /** The longest stretch of consecutive grown pages. */
        long longestGrownStretch() {
            long best = 0;
            long run = 0;
            for (long p = spanStart(); p < spanEnd(); p++) {
                run = ref.isGrown(p) ? run + 1 : 0;
                best = Math.max(best, run);
            }
            return best;
        }
    }

    private static long mask(final long from, final long n) {
        return n == 64 ? -1L : ((1L << n) - 1) << from;
    }

    private static String outcome(final Supplier<Long> op) {
        try {
            return "ok " + op.get();
        } catch (final IllegalArgumentException | IllegalStateException e) {
            return e.getClass().getSimpleName();
        }
    }
}
