package dev.pagoda.alloc.pagealloc;

/**
 * Packed summaries of runs of free pages, after Go's {@code pallocSum}: three counts in one {@code long}.
 *
 * <p>A summary describes a stretch of pages (a chunk, or a block of chunks) by {@code start}, the free pages
 * at its beginning, {@code end}, the free pages at its end, and {@code max}, the longest run of free pages
 * anywhere in it. That is all a search needs to decide, without looking inside, whether a run of {@code n}
 * pages fits in the stretch ({@code max >= n}) or spans into its neighbour ({@code end} of one plus
 * {@code start} of the next). Each count takes 21 bits ({@code start} in bits 0–20, {@code max} in 21–41,
 * {@code end} in 42–62), enough for the {@value #MAX_PAGES} pages under the widest summary; a stretch of
 * exactly that many free pages, which would need a 22nd bit, is encoded as bit 63 alone.
 *
 * <p>All methods are static and allocation-free.
 */
public final class PageSummary {
    /** Bits per packed count. */
    static final int BITS = 21;
    /** The most pages one summary can describe: 2<sup>21</sup>. */
    public static final long MAX_PAGES = 1L << BITS;
    private static final long MASK = MAX_PAGES - 1;
    private static final long ALL_FREE_AT_MAX = 1L << 63;

    private PageSummary() {
    }

    /**
     * Packs three counts.
     *
     * @param start free pages at the beginning
     * @param max   the longest run of free pages
     * @param end   free pages at the end
     * @return the packed summary
     * @throws IllegalArgumentException if a count is negative or above {@link #MAX_PAGES}, if
     *                                  {@code start} or {@code end} exceeds {@code max}, or if one count is
     *                                  {@link #MAX_PAGES} and the others are not
     */
    public static long pack(final long start, final long max, final long end) {
        if (max == MAX_PAGES) {
            if (start != MAX_PAGES || end != MAX_PAGES) {
                throw new IllegalArgumentException("a summary with max=" + MAX_PAGES + " must be all free: start="
                        + start + ", end=" + end);
            }
            return ALL_FREE_AT_MAX;
        }
        if (start < 0 || max < 0 || end < 0 || max > MAX_PAGES || start > max || end > max) {
            throw new IllegalArgumentException("summary counts must satisfy 0 <= start, end <= max <= " + MAX_PAGES
                    + ": start=" + start + ", max=" + max + ", end=" + end);
        }
        return start | (max << BITS) | (end << (2 * BITS));
    }

    /** {@link #pack} without checks, for the allocator's own hot loops. */
    static long packUnchecked(final long start, final long max, final long end) {
        return max == MAX_PAGES ? ALL_FREE_AT_MAX : start | (max << BITS) | (end << (2 * BITS));
    }

    /**
     * Free pages at the beginning of the summarised stretch.
     *
     * @param summary a packed summary
     * @return the count
     */
    public static long start(final long summary) {
        return summary < 0 ? MAX_PAGES : summary & MASK;
    }

    /**
     * The longest run of free pages in the summarised stretch.
     *
     * @param summary a packed summary
     * @return the count
     */
    public static long max(final long summary) {
        return summary < 0 ? MAX_PAGES : (summary >>> BITS) & MASK;
    }

    /**
     * Free pages at the end of the summarised stretch.
     *
     * @param summary a packed summary
     * @return the count
     */
    public static long end(final long summary) {
        return summary < 0 ? MAX_PAGES : (summary >>> (2 * BITS)) & MASK;
    }

    /**
     * The summary of consecutive stretches of {@code pagesEach} pages each, from their own summaries in
     * address order: Go's {@code mergeSummaries}. Runs that cross from one stretch into the next are joined.
     *
     * @param summaries the stretches' summaries
     * @param from      index of the first
     * @param count     how many; stretches missing at the end count as fully allocated
     * @param present   how many of the {@code count} exist ({@code present <= count})
     * @param pagesEach pages per stretch
     * @return the packed summary of the whole
     */
    public static long merge(final long[] summaries, final int from, final int count, final int present,
                             final long pagesEach) {
        long start = 0;
        long max = 0;
        long run = 0;
        boolean leading = true;
        for (int i = 0; i < present; i++) {
            final long s = summaries[from + i];
            final long sStart = start(s);
            if (leading) {
                start += sStart;
                leading = sStart == pagesEach;
            }
            max = Math.max(max, Math.max(run + sStart, max(s)));
            run = sStart == pagesEach ? run + pagesEach : end(s);
        }
        if (present < count) {
            run = 0; // a missing stretch ends every run
        }
        return packUnchecked(start, max, run);
    }

    /**
     * A readable form, e.g. {@code "{start=3, max=10, end=0}"}.
     *
     * @param summary a packed summary
     * @return the three counts as text
     */
    public static String toString(final long summary) {
        return "{start=" + start(summary) + ", max=" + max(summary) + ", end=" + end(summary) + "}";
    }
}
