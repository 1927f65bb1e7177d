package dev.pagoda.alloc.pagealloc;

/**
 * Word-at-a-time operations on page bitmaps, after Go's {@code mpallocbits.go}: bit {@code i} of word
 * {@code i / 64} is page {@code i}, and a set bit means allocated. Allocation-free and branch-light; each
 * method looks at a stretch of whole words of one array.
 */
public final class Bitmaps {
    private Bitmaps() {
    }

    /**
     * Summarises {@code words} words of allocation bits: free pages at the start, the longest free run, and
     * free pages at the end.
     *
     * @param bits  the bitmap (set = allocated)
     * @param from  index of the first word
     * @param words how many words
     * @return the packed {@link PageSummary}
     */
    public static long summarize(final long[] bits, final int from, final int words) {
        final long total = (long) words * Long.SIZE;
        long start = 0;
        int i = 0;
        while (i < words && bits[from + i] == 0) {
            start += Long.SIZE;
            i++;
        }
        if (i == words) {
            return PageSummary.packUnchecked(total, total, total);
        }
        start += Long.numberOfTrailingZeros(bits[from + i]);
        long max = start;
        long run = 0;
        for (; i < words; i++) {
            final long x = bits[from + i];
            if (x == 0) {
                run += Long.SIZE;
                continue;
            }
            max = Math.max(max, run + Long.numberOfTrailingZeros(x));
            if (max < Long.SIZE - 1) {
                max = Math.max(max, longestZeroRun(x));
            }
            run = Long.numberOfLeadingZeros(x);
        }
        max = Math.max(max, run);
        return PageSummary.packUnchecked(start, max, run);
    }

    /**
     * The first run of {@code npages} free pages within {@code words} words, as a bit index from the first
     * word, or -1: Go's {@code pallocBits.find}.
     *
     * @param bits   the bitmap (set = allocated)
     * @param from   index of the first word
     * @param words  how many words to search
     * @param npages the run length wanted, at least 1
     * @return the index of the run's first page, or -1 if there is none
     */
    public static int findRun(final long[] bits, final int from, final int words, final int npages) {
        int run = 0;
        for (int w = 0; w < words; w++) {
            final long x = bits[from + w];
            if (x == 0) {
                run += Long.SIZE;
                if (run >= npages) {
                    return (w + 1) * Long.SIZE - run;
                }
                continue;
            }
            if (run + Long.numberOfTrailingZeros(x) >= npages) {
                return w * Long.SIZE - run;
            }
            if (npages <= Long.SIZE) {
                final int inside = firstRunOfOnes(~x, npages);
                if (inside >= 0) {
                    return w * Long.SIZE + inside;
                }
            }
            run = Long.numberOfLeadingZeros(x);
        }
        return -1;
    }

    /**
     * The lowest bit index {@code i} such that bits {@code i .. i + n - 1} of {@code y} are all set, or -1.
     *
     * @param y the word
     * @param n the run length, 1 to 64
     * @return the index, or -1
     */
    public static int firstRunOfOnes(final long y, final int n) {
        long z = y;
        int have = 1;
        while (have < n && z != 0) {
            final int s = Math.min(have, n - have);
            z &= z >>> s;
            have += s;
        }
        return z == 0 ? -1 : Long.numberOfTrailingZeros(z);
    }

    /**
     * The length of the longest run of clear bits in {@code x}.
     *
     * @param x the word
     * @return 0 to 64
     */
    public static int longestZeroRun(final long x) {
        long y = ~x;
        int n = 0;
        while (y != 0) {
            y &= y << 1;
            n++;
        }
        return n;
    }

    /**
     * A mask of {@code n} bits starting at bit {@code from} of a word.
     *
     * @param from the first bit, 0 to 63
     * @param n    the number of bits, 1 to {@code 64 - from}
     * @return the mask
     */
    public static long mask(final int from, final int n) {
        return n == Long.SIZE ? -1L : ((1L << n) - 1) << from;
    }
}
