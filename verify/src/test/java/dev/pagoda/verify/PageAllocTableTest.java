package dev.pagoda.verify;

import dev.pagoda.alloc.pagealloc.PageAlloc;
import dev.pagoda.alloc.pagealloc.PageSummary;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Table tests of {@link PageAlloc} in the style of Go's {@code mpagealloc_test.go} ({@code TestPageAllocAlloc},
 * {@code TestPageAllocFree}): each named scenario grows some chunks with some pages allocated (and some free
 * pages not released), makes a sequence of requests, each allocation with the page it must land on (or -1) and
 * how many of its pages were released, and then states which pages of every grown chunk are allocated.
 * Every scenario also runs on {@link ReferencePageAlloc}, so the table checks the property tests' oracle too.
 */
class PageAllocTableTest {
    private static final int CHUNK = PageAlloc.CHUNK_PAGES;
    private static final long ROOT = PageAlloc.pagesPerEntry(0);
    /** Marks an allocation whose released count the scenario does not state. */
    private static final long ANY = Long.MIN_VALUE;

    /** Pages {@code [i, i + n)} of one chunk. */
    record BitRange(int i, int n) {
    }

    /** One request of a scenario. */
    sealed interface Request permits Alloc, Free {
    }

    /** find then allocRange: the run must start at {@code base} (-1: no run), {@code released} of it released. */
    record Alloc(long npages, long base, long released) implements Request {
    }

    /** freeRange of {@code [first, first + npages)}, marking the pages released if {@code released}. */
    record Free(long first, long npages, boolean released) implements Request {
    }

    /** Chunks grown with their allocated and dirty (free, not released) pages; requests; allocated pages after. */
    record Scenario(Map<Integer, List<BitRange>> before, Map<Integer, List<BitRange>> dirty, List<Request> requests,
                    Map<Integer, List<BitRange>> after) {
    }

    // ---- the table ----------------------------------------------------------------------------------------

    static Stream<Named<Scenario>> allocScenarios() {
        final List<ScenarioBuilder> t = new ArrayList<>();
        t.add(named("first fit in an empty chunk starts at its first page and packs runs one after another")
                .chunk(0)
                .alloc(1, page(0, 0), 1).alloc(1, page(0, 1), 1).alloc(62, page(0, 2), 62).alloc(448, page(0, 64), 448)
                .alloc(1, -1)
                .after(0, r(0, 512)));
        t.add(named("a single page goes to the first hole after the allocated pages")
                .chunk(0, r(0, 10), r(11, 100))
                .alloc(1, page(0, 10)).alloc(1, page(0, 111)).alloc(2, page(0, 112))
                .after(0, r(0, 114)));
        t.add(named("a run exactly the length of a hole fills it, and one page more does not fit")
                .chunk(0, r(0, 100), r(130, 382))
                .alloc(31, -1).alloc(30, page(0, 100), 30).alloc(1, -1)
                .after(0, r(0, 512)));
        t.add(named("a request longer than every hole fails and leaves the heap alone")
                .chunk(0, r(0, 100), r(200, 312)).chunk(1, r(0, 512))
                .alloc(101, -1).alloc(100, page(0, 100))
                .after(0, r(0, 512)).after(1, r(0, 512)));
        t.add(named("513 pages span two empty chunks")
                .chunk(0).chunk(1)
                .alloc(513, 0, 513)
                .after(0, r(0, 512)).after(1, r(0, 1)));
        t.add(named("a run that starts in the middle of a chunk spans into the next")
                .chunk(0, r(0, 200)).chunk(1).chunk(2)
                .alloc(513, page(0, 200), 513)
                .after(0, r(0, 512)).after(1, r(0, 201)).after(2));
        t.add(named("1024 pages after one allocated page span three chunks")
                .chunk(0, r(0, 1)).chunk(1).chunk(2)
                .alloc(1024, page(0, 1), 1024)
                .after(0, r(0, 512)).after(1, r(0, 512)).after(2, r(0, 1)));
        t.add(named("1500 pages span three chunks")
                .chunk(0, r(0, 10)).chunk(1).chunk(2).chunk(3)
                .alloc(1500, page(0, 10), 1500)
                .after(0, r(0, 512)).after(1, r(0, 512)).after(2, r(0, 486)).after(3));
        t.add(named("5000 pages span ten chunks and two leaf blocks")
                .chunk(3).chunk(4).chunk(5).chunk(6).chunk(7).chunk(8).chunk(9).chunk(10).chunk(11).chunk(12)
                .alloc(5000, page(3, 0), 5000).alloc(120, page(12, 392)).alloc(1, -1)
                .after(3, r(0, 512)).after(4, r(0, 512)).after(5, r(0, 512)).after(6, r(0, 512)).after(7, r(0, 512))
                .after(8, r(0, 512)).after(9, r(0, 512)).after(10, r(0, 512)).after(11, r(0, 512))
                .after(12, r(0, 512)));
        t.add(named("a hole too small at the end of a chunk is skipped for a run in the next chunk")
                .chunk(0, r(0, 500)).chunk(1, r(0, 3))
                .alloc(20, page(1, 3)).alloc(12, page(0, 500))
                .after(0, r(0, 512)).after(1, r(0, 23)));
        t.add(named("a hole at the end of a chunk joins the free start of the next")
                .chunk(0, r(0, 500)).chunk(1, r(5, 507))
                .alloc(18, -1).alloc(17, page(0, 500), 17)
                .after(0, r(0, 512)).after(1, r(0, 512)));
        t.add(named("runs never span a chunk that was not grown")
                .chunk(0, r(0, 400)).chunk(2)
                .alloc(113, page(2, 0)).alloc(112, page(0, 400)).alloc(513, -1).alloc(399, page(2, 113))
                .alloc(1, -1)
                .after(0, r(0, 512)).after(2, r(0, 512)));
        t.add(named("a full heap has no page to give")
                .chunk(0, r(0, 512)).chunk(1, r(0, 512))
                .alloc(1, -1).alloc(512, -1).alloc(1024, -1)
                .after(0, r(0, 512)).after(1, r(0, 512)));
        t.add(named("only the released pages of a run are counted as released")
                .chunk(0, r(0, 10)).dirty(0, r(10, 20), r(64, 64))
                .alloc(30, page(0, 10), 10).alloc(5, page(0, 40), 5).alloc(60, page(0, 45), 19)
                .after(0, r(0, 105)));
        t.add(named("an empty allocator has no page to give")
                .alloc(1, -1));
        for (final int boundary : new int[]{8, 64, 512, 4096}) {
            final int below = boundary - 1;
            t.add(named("a run crosses from chunk " + below + " into chunk " + boundary
                    + ", the boundary of two summary entries")
                    .chunk(below).chunk(boundary)
                    .alloc(1024, page(below, 0), 1024)
                    .after(below, r(0, 512)).after(boundary, r(0, 512)));
            t.add(named("the end of chunk " + below + " joins the start of chunk " + boundary
                    + " across the boundary of two summary entries")
                    .chunk(below, r(0, 412)).chunk(boundary, r(100, 412))
                    .alloc(201, -1).alloc(200, page(below, 412), 200).alloc(1, -1)
                    .after(below, r(0, 512)).after(boundary, r(0, 512)));
            t.add(named("a request skips the too-small end of chunk " + below + " for chunk " + boundary)
                    .chunk(below, r(0, 412)).chunk(boundary, r(0, 1))
                    .alloc(101, page(boundary, 1)).alloc(100, page(below, 412))
                    .after(below, r(0, 512)).after(boundary, r(0, 102)));
        }
        t.add(named("a whole root entry of 2^21 free pages is one run")
                .chunks(0, 4097)
                .alloc(ROOT, 0, ROOT).alloc(513, -1).alloc(512, page(4096, 0))
                .afterAll(0, 4097, r(0, 512)));
        t.add(named("a run longer than a root entry fills one and spills into the next")
                .chunks(0, 4098)
                .alloc(ROOT + 1, 0, ROOT + 1).alloc(1023, page(4096, 1)).alloc(1, -1)
                .afterAll(0, 4098, r(0, 512)));
        return t.stream().map(ScenarioBuilder::build);
    }

    static Stream<Named<Scenario>> freeScenarios() {
        final List<ScenarioBuilder> t = new ArrayList<>();
        t.add(named("a freed page is the first fit again, and not released")
                .chunk(0, r(0, 512))
                .free(page(0, 5), 1).alloc(1, page(0, 5), 0).alloc(1, -1)
                .after(0, r(0, 512)));
        t.add(named("freeing the pages between two holes merges them so a longer run fits")
                .chunk(0, r(0, 512))
                .free(page(0, 100), 50).free(page(0, 200), 50).alloc(51, -1)
                .free(page(0, 150), 50).alloc(151, -1).alloc(150, page(0, 100), 0)
                .after(0, r(0, 512)));
        t.add(named("freeing across a chunk boundary makes one run of both ends")
                .chunk(0, r(0, 512)).chunk(1, r(0, 512))
                .free(page(0, 500), 24).alloc(25, -1).alloc(24, page(0, 500), 0)
                .after(0, r(0, 512)).after(1, r(0, 512)));
        t.add(named("freeing everything frees the whole heap as one run")
                .chunk(0, r(0, 512)).chunk(1, r(0, 512)).chunk(2, r(0, 512))
                .free(0, 1536).alloc(1537, -1).alloc(1536, 0, 0)
                .after(0, r(0, 512)).after(1, r(0, 512)).after(2, r(0, 512)));
        t.add(named("pages freed as released are counted as released when allocated again")
                .chunk(0, r(0, 512))
                .freeReleased(page(0, 10), 10).free(page(0, 20), 10).alloc(20, page(0, 10), 10)
                .free(page(0, 0), 64).alloc(64, 0, 0)
                .after(0, r(0, 512)));
        t.add(named("freeing part of a run keeps the rest allocated")
                .chunk(0)
                .alloc(300, 0).free(100, 100).alloc(101, page(0, 300)).alloc(100, page(0, 100))
                .after(0, r(0, 401)));
        t.add(named("freeing pages on both sides of the root boundary joins them")
                .chunk(4095, r(0, 512)).chunk(4096, r(0, 512))
                .free(ROOT - 300, 600).alloc(601, -1).alloc(600, ROOT - 300, 0)
                .after(4095, r(0, 512)).after(4096, r(0, 512)));
        return t.stream().map(ScenarioBuilder::build);
    }

    // ---- the tests ----------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("allocScenarios")
    void shouldPlaceEveryAllocationWhereTheScenarioSays(final Scenario s) {
        run(s);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("freeScenarios")
    void shouldMakeFreedPagesAvailableAsTheScenarioSays(final Scenario s) {
        run(s);
    }

    @Test
    void shouldRefuseToAllocateOrFreeWhatTheStateForbids() {
        final PageAlloc pa = build(Map.of(0, List.of(r(0, 10)), 2, List.of()), Map.of());
        assertThrowsState(() -> pa.allocRange(5, 10), "allocating allocated pages");
        assertThrowsState(() -> pa.allocRange(page(1, 0), 1), "allocating a page of a chunk not grown");
        assertThrowsState(() -> pa.freeRange(5, 10, false), "freeing free pages");
        assertThrowsState(() -> pa.freeRange(page(1, 0), 1, false), "freeing a page of a chunk not grown");
        assertThrowsState(() -> pa.grow(page(2, 0), CHUNK), "growing a grown chunk");
        pa.checkInvariants();
        assertEquals(10, pa.allocatedPages());
        assertEquals(2 * CHUNK - 10, pa.releasedPages());
    }

    @Test
    void shouldFindTheHighestReleasableRunBelowAPoint() {
        final PageAlloc pa = build(Map.of(0, List.of(r(0, 10)), 2, List.of(r(0, 10))),
                Map.of(0, List.of(r(100, 5)), 2, List.of(r(40, 3))));
        assertEquals(packed(page(2, 40), 3), pa.findReleasableBelow(Long.MAX_VALUE, 512, 256), "highest first");
        assertEquals(packed(page(2, 41), 2), pa.findReleasableBelow(Long.MAX_VALUE, 2, 256), "from the top end");
        assertEquals(packed(page(2, 40), 1), pa.findReleasableBelow(page(2, 41), 512, 256));
        assertEquals(packed(100, 5), pa.findReleasableBelow(page(2, 40), 512, 256), "skipping the ungrown chunk");
        assertEquals(packed(100, 4), pa.findReleasableBelow(104, 512, 64));
        assertEquals(-1, pa.findReleasableBelow(100, 512, 64), "nothing below 100");
    }

    @Test
    void shouldKeepAReleasableRunWithinOneBlock() {
        final PageAlloc pa = build(Map.of(0, List.of()), Map.of(0, List.of(r(60, 10))));
        assertEquals(packed(64, 6), pa.findReleasableBelow(Long.MAX_VALUE, 512, 64), "the block of 64 above 60");
        assertEquals(packed(60, 4), pa.findReleasableBelow(64, 512, 64));
        assertEquals(packed(60, 10), pa.findReleasableBelow(Long.MAX_VALUE, 512, 128));
        assertEquals(-1, pa.findReleasableBelow(0, 512, 64));
        assertThrows(IllegalArgumentException.class, () -> pa.findReleasableBelow(10, 0, 64));
        assertThrows(IllegalArgumentException.class, () -> pa.findReleasableBelow(10, 1, 96));
    }

    private static long packed(final long first, final long npages) {
        return first << 10 | npages;
    }

    // ---- running a scenario -------------------------------------------------------------------------------

    private static void run(final Scenario s) {
        final PageAlloc pa = build(s.before(), s.dirty());
        final ReferencePageAlloc ref = buildReference(s.before(), s.dirty());
        for (int i = 0; i < s.requests().size(); i++) {
            final Request q = s.requests().get(i);
            final String what = "request " + i + " " + q;
            switch (q) {
                case Alloc a -> {
                    final long base = pa.find(a.npages());
                    assertEquals(a.base(), base, what);
                    assertEquals(a.base(), ref.find(a.npages()), "reference: " + what);
                    if (base >= 0) {
                        final long released = pa.allocRange(base, a.npages());
                        assertEquals(released, ref.allocRange(base, a.npages()), "reference: released pages of " + what);
                        if (a.released() != ANY) {
                            assertEquals(a.released(), released, "released pages of " + what);
                        }
                    }
                }
                case Free f -> {
                    pa.freeRange(f.first(), f.npages(), f.released());
                    ref.freeRange(f.first(), f.npages(), f.released());
                }
            }
            pa.checkInvariants();
        }
        assertEquals(s.after().keySet(), grownChunks(pa), "the grown chunks");
        long allocated = 0;
        for (final Map.Entry<Integer, List<BitRange>> e : s.after().entrySet()) {
            final int c = e.getKey();
            final boolean[] want = new boolean[CHUNK];
            for (final BitRange r : e.getValue()) {
                for (int i = r.i(); i < r.i() + r.n(); i++) {
                    want[i] = true;
                }
            }
            for (int i = 0; i < CHUNK; i++) {
                assertEquals(want[i], ref.isAllocated(page(c, i)), "reference: page " + i + " of chunk " + c);
                assertEquals(pa.isReleased(page(c, i)), ref.isReleased(page(c, i)), "reference: page " + i
                        + " of chunk " + c + " released");
                if (pa.isAllocated(page(c, i)) != want[i]) {
                    fail("page " + i + " of chunk " + c + " is " + (want[i] ? "free" : "allocated") + " but should be "
                            + (want[i] ? "allocated" : "free") + "; chunk summary "
                            + PageSummary.toString(pa.summary(PageAlloc.LEVELS - 1, c)));
                }
                if (want[i]) {
                    allocated++;
                    assertFalse(pa.isReleased(page(c, i)), "allocated page " + i + " of chunk " + c + " is released");
                }
            }
        }
        assertEquals(allocated, pa.allocatedPages(), "allocated pages");
        assertEquals(allocated, ref.allocatedPages(), "reference: allocated pages");
        assertEquals(ref.releasedPages(), pa.releasedPages(), "released pages");
        pa.checkInvariants();
    }

    /** Grows the chunks of {@code before}, allocates its ranges, and makes {@code dirty} free but not released. */
    private static PageAlloc build(final Map<Integer, List<BitRange>> before, final Map<Integer, List<BitRange>> dirty) {
        final PageAlloc pa = new PageAlloc();
        final TreeMap<Integer, List<BitRange>> chunks = new TreeMap<>(before);
        if (!chunks.isEmpty()) {
            pa.ensureCapacity(page(chunks.lastKey() + 1, 0));
        }
        int c = chunks.isEmpty() ? 0 : chunks.firstKey();
        while (!chunks.isEmpty() && c <= chunks.lastKey()) {
            // Grow consecutive chunks in one call, as the heap does for a new arena.
            int end = c;
            while (chunks.containsKey(end)) {
                end++;
            }
            pa.grow(page(c, 0), (long) (end - c) * CHUNK);
            final Integer next = chunks.higherKey(end);
            c = next == null ? Integer.MAX_VALUE : next;
        }
        dirty.forEach((chunk, ranges) -> ranges.forEach(r -> {
            pa.allocRange(page(chunk, r.i()), r.n());
            pa.freeRange(page(chunk, r.i()), r.n(), false);
        }));
        before.forEach((chunk, ranges) -> ranges.forEach(r -> pa.allocRange(page(chunk, r.i()), r.n())));
        pa.checkInvariants();
        return pa;
    }

    private static ReferencePageAlloc buildReference(final Map<Integer, List<BitRange>> before,
                                                     final Map<Integer, List<BitRange>> dirty) {
        final ReferencePageAlloc ref = new ReferencePageAlloc();
        before.keySet().forEach(c -> ref.grow(page(c, 0), CHUNK));
        dirty.forEach((chunk, ranges) -> ranges.forEach(r -> {
            ref.allocRange(page(chunk, r.i()), r.n());
            ref.freeRange(page(chunk, r.i()), r.n(), false);
        }));
        before.forEach((chunk, ranges) -> ranges.forEach(r -> ref.allocRange(page(chunk, r.i()), r.n())));
        return ref;
    }

    private static Set<Integer> grownChunks(final PageAlloc pa) {
        final Set<Integer> out = new TreeSet<>();
        for (int c = 0; c < pa.chunkCapacity(); c++) {
            if (pa.isGrown(page(c, 0))) {
                out.add(c);
            }
        }
        return out;
    }

    private static void assertThrowsState(final Runnable op, final String what) {
        try {
            op.run();
        } catch (final IllegalStateException e) {
            return;
        }
        fail(what + " should throw IllegalStateException");
    }

    // ---- building the table -------------------------------------------------------------------------------

    static long page(final int chunk, final int i) {
        return (long) chunk * CHUNK + i;
    }

    static BitRange r(final int i, final int n) {
        return new BitRange(i, n);
    }

    private static ScenarioBuilder named(final String name) {
        return new ScenarioBuilder(name);
    }

    /** Builds one row of the table. */
    static final class ScenarioBuilder {
        private final String name;
        private final Map<Integer, List<BitRange>> before = new TreeMap<>();
        private final Map<Integer, List<BitRange>> dirty = new TreeMap<>();
        private final List<Request> requests = new ArrayList<>();
        private final Map<Integer, List<BitRange>> after = new TreeMap<>();

        ScenarioBuilder(final String name) {
            this.name = name;
        }

        ScenarioBuilder chunk(final int c, final BitRange... allocated) {
            before.put(c, List.of(allocated));
            return this;
        }

        ScenarioBuilder chunks(final int from, final int to) {
            for (int c = from; c < to; c++) {
                before.put(c, List.of());
            }
            return this;
        }

        ScenarioBuilder dirty(final int c, final BitRange... ranges) {
            dirty.put(c, List.of(ranges));
            return this;
        }

        ScenarioBuilder alloc(final long npages, final long base) {
            return alloc(npages, base, ANY);
        }

        ScenarioBuilder alloc(final long npages, final long base, final long released) {
            requests.add(new Alloc(npages, base, released));
            return this;
        }

        ScenarioBuilder free(final long first, final long npages) {
            requests.add(new Free(first, npages, false));
            return this;
        }

        ScenarioBuilder freeReleased(final long first, final long npages) {
            requests.add(new Free(first, npages, true));
            return this;
        }

        ScenarioBuilder after(final int c, final BitRange... allocated) {
            after.put(c, List.of(allocated));
            return this;
        }

        ScenarioBuilder afterAll(final int from, final int to, final BitRange... allocated) {
            for (int c = from; c < to; c++) {
                after(c, allocated);
            }
            return this;
        }

        Named<Scenario> build() {
            return Named.of(name, new Scenario(before, dirty, List.copyOf(requests), after));
        }
    }
}
