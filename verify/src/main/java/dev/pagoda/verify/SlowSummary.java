package dev.pagoda.verify;

import dev.pagoda.alloc.pagealloc.Bitmaps;
import dev.pagoda.alloc.pagealloc.PageSummary;


/**
 * The reference for {@link Bitmaps#summarize}: the same packed {@link PageSummary} computed by walking the
 * bitmap one bit at a time, with no word tricks at all.
 */
public final class SlowSummary {
    private SlowSummary() {
    }

    /**
     * Summarises {@code words} words of allocation bits (bit {@code i} of word {@code i / 64} is page
     * {@code i}, set = allocated): free pages at the start, the longest run of free pages, and free pages at
     * the end.
     *
     * @param bits  the bitmap
     * @param from  index of the first word
     * @param words how many words, 0 to {@code PageSummary.MAX_PAGES / 64}
     * @return the packed summary, from {@link PageSummary#pack}
     * @throws IllegalArgumentException if {@code words} is negative or describes more than
     *                                  {@link PageSummary#MAX_PAGES} pages
     * @throws IndexOutOfBoundsException if the words do not lie within {@code bits}
     */
    public static long summarize(final long[] bits, final int from, final int words) {
        if (words < 0 || (long) words * Long.SIZE > PageSummary.MAX_PAGES) {
            throw new IllegalArgumentException("words must be between 0 and " + PageSummary.MAX_PAGES / Long.SIZE
                    + ": words=" + words);
        }
        final long pages = (long) words * Long.SIZE;
        long start = 0;
        long max = 0;
        long run = 0;
        boolean leading = true;
        for (long page = 0; page < pages; page++) {
            final long word = bits[from + (int) (page / Long.SIZE)];
            final boolean allocated = ((word >>> (page % Long.SIZE)) & 1) != 0;
            if (allocated) {
                leading = false;
                run = 0;
            } else {
                run++;
                max = Math.max(max, run);
                if (leading) {
                    start++;
                }
            }
        }
        return PageSummary.pack(start, max, run);
    }
}
