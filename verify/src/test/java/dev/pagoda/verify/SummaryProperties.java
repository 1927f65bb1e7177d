package dev.pagoda.verify;

import dev.pagoda.alloc.pagealloc.Bitmaps;
import dev.pagoda.alloc.pagealloc.PageAlloc;
import dev.pagoda.alloc.pagealloc.PageSummary;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The word-at-a-time bitmap code and the packed summaries agree with bit-by-bit reference computations:
 * {@link Bitmaps#summarize} with {@link SlowSummary}, {@link PageSummary#merge} of child summaries with the
 * summary of the concatenated bitmap, {@link Bitmaps#findRun} and {@link Bitmaps#firstRunOfOnes} with plain
 * searches, and {@link PageSummary#pack} round-trips every valid summary and refuses every invalid one.
 */
class SummaryProperties {
    private static final long MAX = PageSummary.MAX_PAGES;

    // ---- generators -------------------------------------------------------------------------------------

    /** Words of every texture: arbitrary, empty, full, a few bits set, a few bits clear, one run of bits. */
    @Provide
    Arbitrary<Long> words() {
        final Arbitrary<Long> any = Arbitraries.longs();
        final Arbitrary<Long> sparse = Arbitraries.integers().between(0, 63).list().ofMinSize(1).ofMaxSize(3)
                .map(SummaryProperties::bitsAt);
        final Arbitrary<Long> dense = sparse.map(x -> ~x);
        final Arbitrary<Long> run = Combinators.combine(Arbitraries.integers().between(0, 63),
                Arbitraries.integers().between(1, 64)).as((from, n) -> Bitmaps.mask(from, Math.min(n, 64 - from)));
        return Arbitraries.frequencyOf(
                Tuple.of(3, any),
                Tuple.of(3, Arbitraries.just(0L)),
                Tuple.of(3, Arbitraries.just(-1L)),
                Tuple.of(2, sparse),
                Tuple.of(2, dense),
                Tuple.of(2, run),
                Tuple.of(1, run.map(x -> ~x)));
    }

    @Provide
    Arbitrary<long[]> bitmaps() {
        return words().array(long[].class).ofMinSize(1).ofMaxSize(8);
    }

    /** Eight chunk bitmaps of 8 words each, concatenated. */
    @Provide
    Arbitrary<long[]> eightChunks() {
        final Arbitrary<long[]> chunk = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(new long[PageAlloc.CHUNK_PAGES / 64])),
                Tuple.of(1, Arbitraries.just(filled(PageAlloc.CHUNK_PAGES / 64, -1L))),
                Tuple.of(5, words().array(long[].class).ofSize(PageAlloc.CHUNK_PAGES / 64)));
        return chunk.list().ofSize(8).map(SummaryProperties::concat);
    }

    // ---- summarize ----------------------------------------------------------------------------------------

    @Property(tries = 2000)
    void summarizeEqualsTheBitByBitSummary(@ForAll("bitmaps") final long[] bits,
                                           @ForAll @IntRange(min = 0, max = 3) final int padding,
                                           @ForAll final long padWord) {
        // The words under test sit inside a larger array, so an offset error shows.
        final long[] padded = new long[bits.length + 2 * padding];
        Arrays.fill(padded, padWord);
        System.arraycopy(bits, 0, padded, padding, bits.length);
        assertSummary(SlowSummary.summarize(bits, 0, bits.length),
                Bitmaps.summarize(padded, padding, bits.length), bits);
    }

    @Example
    void summarizeOfAnEmptyChunkIsAllFreeAndOfAFullChunkIsZero() {
        final int w = PageAlloc.CHUNK_PAGES / 64;
        assertEquals(PageSummary.pack(512, 512, 512), Bitmaps.summarize(new long[w], 0, w));
        assertEquals(0L, Bitmaps.summarize(filled(w, -1L), 0, w));
        assertEquals(PageSummary.pack(512, 512, 512), SlowSummary.summarize(new long[w], 0, w));
        assertEquals(0L, SlowSummary.summarize(filled(w, -1L), 0, w));
    }

    @Example
    void slowSummaryOfMaxPagesAllFreeIsTheAllFreeEncoding() {
        final int w = (int) (MAX / 64);
        final long s = SlowSummary.summarize(new long[w], 0, w);
        assertEquals(PageSummary.pack(MAX, MAX, MAX), s);
        assertEquals(MAX, PageSummary.start(s));
        assertEquals(Bitmaps.summarize(new long[w], 0, w), s);
    }

    // ---- pack / unpack ------------------------------------------------------------------------------------

    @Provide
    Arbitrary<long[]> validCounts() {
        final Arbitrary<Long> max = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.longs().between(0, MAX - 1)),
                Tuple.of(1, Arbitraries.of(0L, 1L, 511L, 512L, MAX - 2, MAX - 1)));
        return max.flatMap(m -> Combinators.combine(Arbitraries.longs().between(0, m),
                Arbitraries.longs().between(0, m)).as((s, e) -> new long[]{s, m, e}));
    }

    @Property(tries = 1000)
    void packThenUnpackGivesBackTheCounts(@ForAll("validCounts") final long[] sme) {
        final long packed = PageSummary.pack(sme[0], sme[1], sme[2]);
        assertEquals(sme[0], PageSummary.start(packed), "start");
        assertEquals(sme[1], PageSummary.max(packed), "max");
        assertEquals(sme[2], PageSummary.end(packed), "end");
    }

    @Example
    void packOfMaxPagesAllFreeRoundTripsThroughBit63() {
        final long packed = PageSummary.pack(MAX, MAX, MAX);
        assertEquals(1L << 63, packed);
        assertEquals(MAX, PageSummary.start(packed));
        assertEquals(MAX, PageSummary.max(packed));
        assertEquals(MAX, PageSummary.end(packed));
    }

    @Provide
    Arbitrary<long[]> invalidCounts() {
        final Arbitrary<Long> anyCount = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.longs().between(-2, MAX + 2)),
                Tuple.of(1, Arbitraries.longs()),
                Tuple.of(1, Arbitraries.of(-1L, 0L, MAX - 1, MAX, MAX + 1, Long.MIN_VALUE,
                        Long.MAX_VALUE)));
        return Combinators.combine(anyCount, anyCount, anyCount).as((s, m, e) -> new long[]{s, m, e})
                .filter(sme -> !isValid(sme[0], sme[1], sme[2]));
    }

    @Property(tries = 1000)
    void packRefusesEveryInvalidSummary(@ForAll("invalidCounts") final long[] sme) {
        assertThrows(IllegalArgumentException.class, () -> PageSummary.pack(sme[0], sme[1], sme[2]),
                () -> Arrays.toString(sme));
    }

    // ---- merge --------------------------------------------------------------------------------------------

    @Property(tries = 1000)
    void mergeOfEightChunkSummariesEqualsTheSummaryOfTheirConcatenation(
            @ForAll("eightChunks") final long[] bits, @ForAll @IntRange(min = 0, max = 3) final int offset) {
        final int w = PageAlloc.CHUNK_PAGES / 64;
        final long[] sums = new long[8 + offset];
        for (int c = 0; c < 8; c++) {
            sums[offset + c] = SlowSummary.summarize(bits, c * w, w);
        }
        assertSummary(SlowSummary.summarize(bits, 0, 8 * w),
                PageSummary.merge(sums, offset, 8, 8, PageAlloc.CHUNK_PAGES), bits);
    }

    @Property(tries = 500)
    void mergeCountsMissingChildrenAsAllocated(@ForAll("eightChunks") final long[] bits,
                                               @ForAll @IntRange(min = 0, max = 8) final int present) {
        final int w = PageAlloc.CHUNK_PAGES / 64;
        final long[] sums = new long[8];
        for (int c = 0; c < present; c++) {
            sums[c] = SlowSummary.summarize(bits, c * w, w);
        }
        Arrays.fill(bits, present * w, bits.length, -1L);
        assertSummary(SlowSummary.summarize(bits, 0, 8 * w),
                PageSummary.merge(sums, 0, 8, present, PageAlloc.CHUNK_PAGES), bits);
    }

    /**
     * At every level of the tree: eight children of {@code pagesPerEntry(level)} pages each, each described at
     * a granularity of 64 blocks (so a 64-bit word per child), merge to the summary of the concatenation
     * scaled up by the block size. At the root's children this reaches the {@code MAX_PAGES} encoding.
     */
    @Property(tries = 1000)
    void mergeAtEveryLevelEqualsTheScaledSummaryOfTheConcatenation(
            @ForAll @IntRange(min = 1, max = PageAlloc.LEVELS - 1) final int childLevel,
            @ForAll @Size(8) final List<@From("words") Long> children) {
        final long pagesEach = PageAlloc.pagesPerEntry(childLevel);
        final long block = pagesEach / 64;
        final long[] coarse = children.stream().mapToLong(Long::longValue).toArray();
        final long[] sums = new long[8];
        for (int c = 0; c < 8; c++) {
            sums[c] = scaled(SlowSummary.summarize(coarse, c, 1), block);
        }
        assertSummary(scaled(SlowSummary.summarize(coarse, 0, 8), block),
                PageSummary.merge(sums, 0, 8, 8, pagesEach), coarse);
    }

    @Example
    void mergeOfEightAllFreeRootChildrenIsTheAllFreeEncoding() {
        final long each = PageAlloc.pagesPerEntry(1);
        final long[] sums = new long[8];
        Arrays.fill(sums, PageSummary.pack(each, each, each));
        assertEquals(PageSummary.pack(MAX, MAX, MAX), PageSummary.merge(sums, 0, 8, 8, each));
        sums[0] = PageSummary.pack(0, each - 1, each - 1);
        assertEquals(PageSummary.pack(0, MAX - 1, MAX - 1), PageSummary.merge(sums, 0, 8, 8, each));
        assertEquals(PageSummary.pack(0, 7 * each - 1, 0), PageSummary.merge(sums, 0, 8, 7, each));
    }

    // ---- findRun, firstRunOfOnes, longestZeroRun -----------------------------------------------------------

    @Provide
    Arbitrary<Integer> runLengths() {
        return Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.integers().between(1, 64)),
                Tuple.of(3, Arbitraries.integers().between(65, 520)),
                Tuple.of(1, Arbitraries.of(1, 2, 63, 64, 65, 127, 128, 129, 511, 512, 513)));
    }

    @Property(tries = 3000)
    void findRunEqualsTheFirstFitOfABitByBitSearch(@ForAll("bitmaps") final long[] bits,
                                                   @ForAll("runLengths") final int npages,
                                                   @ForAll @IntRange(min = 0, max = 2) final int padding,
                                                   @ForAll final long padWord) {
        final long[] padded = new long[bits.length + 2 * padding];
        Arrays.fill(padded, padWord);
        System.arraycopy(bits, 0, padded, padding, bits.length);
        assertEquals(slowFindRun(bits, npages), Bitmaps.findRun(padded, padding, bits.length, npages),
                () -> "npages=" + npages + " bits=" + hex(bits));
    }

    @Property(tries = 3000)
    void firstRunOfOnesEqualsABitByBitSearch(@ForAll("words") final long y,
                                             @ForAll @IntRange(min = 1, max = 64) final int n) {
        int expected = -1;
        for (int i = 0; i + n <= 64 && expected < 0; i++) {
            boolean all = true;
            for (int j = i; j < i + n; j++) {
                all &= ((y >>> j) & 1) != 0;
            }
            if (all) {
                expected = i;
            }
        }
        assertEquals(expected, Bitmaps.firstRunOfOnes(y, n), () -> "y=" + Long.toHexString(y) + " n=" + n);
    }

    @Property(tries = 1000)
    void longestZeroRunEqualsABitByBitCount(@ForAll("words") final long x) {
        int best = 0;
        int run = 0;
        for (int i = 0; i < 64; i++) {
            run = ((x >>> i) & 1) == 0 ? run + 1 : 0;
            best = Math.max(best, run);
        }
        assertEquals(best, Bitmaps.longestZeroRun(x), () -> Long.toHexString(x));
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private static int slowFindRun(final long[] bits, final int n) {
        final int pages = bits.length * 64;
        int run = 0;
        for (int p = 0; p < pages; p++) {
            run = ((bits[p / 64] >>> (p % 64)) & 1) == 0 ? run + 1 : 0;
            if (run == n) {
                return p - n + 1;
            }
        }
        return -1;
    }

    private static boolean isValid(final long s, final long m, final long e) {
        if (s == MAX && m == MAX && e == MAX) {
            return true;
        }
        return 0 <= s && 0 <= e && s <= m && e <= m && m < MAX;
    }

    private static long scaled(final long summary, final long factor) {
        return PageSummary.pack(PageSummary.start(summary) * factor, PageSummary.max(summary) * factor,
                PageSummary.end(summary) * factor);
    }

    private static void assertSummary(final long expected, final long actual, final long[] bits) {
        assertEquals(PageSummary.toString(expected), PageSummary.toString(actual), () -> "bits " + hex(bits));
        assertEquals(expected, actual, () -> "packed form, bits " + hex(bits));
    }

    private static long bitsAt(final List<Integer> positions) {
        long x = 0;
        for (final int p : positions) {
            x |= 1L << p;
        }
        return x;
    }

    private static long[] filled(final int n, final long value) {
        final long[] a = new long[n];
        Arrays.fill(a, value);
        return a;
    }

    private static long[] concat(final List<long[]> parts) {
        return parts.stream().flatMapToLong(Arrays::stream).toArray();
    }

    private static String hex(final long[] bits) {
        final StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < bits.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format("%016x", bits[i]));
        }
        return sb.append(']').toString();
    }
}
