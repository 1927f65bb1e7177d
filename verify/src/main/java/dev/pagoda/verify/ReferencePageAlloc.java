package dev.pagoda.verify;

import dev.pagoda.alloc.pagealloc.PageAlloc;


import java.util.BitSet;

/**
 * A slow, obviously correct page allocator with the semantics of {@link PageAlloc}, for tests to compare the
 * real one against: three {@link BitSet}s (grown, allocated and released pages) and plain loops, no summaries
 * and no word tricks.
 *
 * <p>The semantics it pins down: pages are numbered from 0 and come in chunks of
 * {@value PageAlloc#CHUNK_PAGES}; a chunk is usable only once {@linkplain #grow grown}, and its pages start
 * free and released; pages of chunks not grown count as allocated, so no run ever includes or spans them;
 * {@link #find} is address-ordered first fit; a released page is always free.
 *
 * <p>Differences from {@link PageAlloc}, which tests must allow for: page indexes are limited to
 * {@value #PAGE_LIMIT} (a {@code BitSet} is indexed by {@code int}), and a range beyond every grown chunk is
 * refused with {@link IllegalStateException} here where {@link PageAlloc} may say
 * {@link IllegalArgumentException}, because its capacity (how far its arrays reach) is its own affair.
 *
 * <p>Not thread-safe.
 */
public final class ReferencePageAlloc {
    /** The page index limit: every page index is below it. */
    public static final int PAGE_LIMIT = Integer.MAX_VALUE / PageAlloc.CHUNK_PAGES * PageAlloc.CHUNK_PAGES;
    private static final int CHUNK = PageAlloc.CHUNK_PAGES;

    private final BitSet grown = new BitSet();
    private final BitSet allocated = new BitSet();
    private final BitSet released = new BitSet();

    /** Creates an empty allocator: no chunks grown. */
    public ReferencePageAlloc() {
    }

    /**
     * Adds whole chunks to the heap, all their pages free and released.
     *
     * @param first  the first page index, a multiple of {@value PageAlloc#CHUNK_PAGES}
     * @param npages how many pages, a positive multiple of {@value PageAlloc#CHUNK_PAGES}
     * @throws IllegalArgumentException if the range is not whole chunks below {@link #PAGE_LIMIT}
     * @throws IllegalStateException    if a page of the range was grown already
     */
    public void grow(final long first, final long npages) {
        if (first < 0 || npages <= 0 || first % CHUNK != 0 || npages % CHUNK != 0 || first > PAGE_LIMIT - npages) {
            throw new IllegalArgumentException("grow needs whole chunks below page " + PAGE_LIMIT + ": first="
                    + first + ", npages=" + npages);
        }
        final int from = (int) first;
        final int to = (int) (first + npages);
        for (int p = from; p < to; p++) {
            if (grown.get(p)) {
                throw new IllegalStateException("page " + p + " was grown already");
            }
        }
        grown.set(from, to);
        released.set(from, to);
    }

    /**
     * The lowest page index at which {@code npages} consecutive pages are all grown and free.
     *
     * @param npages the run length, at least 1
     * @return the first page of the run, or -1 if there is none
     * @throws IllegalArgumentException if {@code npages} is not positive
     */
    public long find(final long npages) {
        if (npages <= 0) {
            throw new IllegalArgumentException("npages must be positive: npages=" + npages);
        }
        // Every stretch of grown pages, in address order; within it every maximal run of free pages, in
        // address order. The first run long enough starts the answer.
        for (int lo = grown.nextSetBit(0); lo >= 0; lo = grown.nextSetBit(lo)) {
            final int hi = grown.nextClearBit(lo);
            int p = lo;
            while (p < hi) {
                final int runStart = allocated.nextClearBit(p);
                if (runStart >= hi) {
                    break;
                }
                final int nextAllocated = allocated.nextSetBit(runStart);
                final int runEnd = nextAllocated < 0 ? hi : Math.min(nextAllocated, hi);
                if (runEnd - runStart >= npages) {
                    return runStart;
                }
                p = runEnd;
            }
            lo = hi;
        }
        return -1;
    }

    /**
     * Marks {@code [first, first + npages)} allocated; released pages in it stop being released.
     *
     * @param first  the first page index
     * @param npages how many pages
     * @return how many of the pages were released
     * @throws IllegalArgumentException if the range is empty or reaches outside {@code [0, PAGE_LIMIT)}
     * @throws IllegalStateException    if a page of the range is allocated or not grown
     */
    public long allocRange(final long first, final long npages) {
        checkRange(first, npages);
        for (long p = first; p < first + npages; p++) {
            if (isAllocated(p)) {
                throw new IllegalStateException("page " + p + " is not free");
            }
        }
        long wasReleased = 0;
        for (long p = first; p < first + npages; p++) {
            if (released.get((int) p)) {
                wasReleased++;
            }
            released.clear((int) p);
            allocated.set((int) p);
        }
        return wasReleased;
    }

    /**
     * Marks {@code [first, first + npages)} free, and also released if {@code released}.
     *
     * @param first    the first page index
     * @param npages   how many pages
     * @param released whether the pages are now released to the OS
     * @throws IllegalArgumentException if the range is empty or reaches outside {@code [0, PAGE_LIMIT)}
     * @throws IllegalStateException    if a page of the range is not grown or not allocated
     */
    public void freeRange(final long first, final long npages, final boolean released) {
        checkRange(first, npages);
        for (long p = first; p < first + npages; p++) {
            if (!grown.get((int) p) || !allocated.get((int) p)) {
                throw new IllegalStateException("page " + p + " is not allocated");
            }
        }
        for (long p = first; p < first + npages; p++) {
            allocated.clear((int) p);
            if (released) {
                this.released.set((int) p);
            }
        }
    }

    /**
     * The highest run of grown, free, unreleased pages below {@code below}, within one aligned block of
     * {@code blockPages}, at most {@code maxPages} long counted from its top page down.
     *
     * @param below      the search starts at {@code below - 1}
     * @param maxPages   the longest run wanted
     * @param blockPages the block size in pages
     * @return {@code first << 10 | npages}, or -1
     */
    public long findReleasableBelow(final long below, final long maxPages, final int blockPages) {
        final long start = Math.min(below, PAGE_LIMIT) - 1;
        for (long top = start < 0 ? -1 : grown.previousSetBit((int) start); top >= 0;
             top = grown.previousSetBit((int) top - 1)) {
            if (isAllocated(top) || isReleased(top)) {
                continue;
            }
            final long floor = Math.max(top / blockPages * blockPages, top - maxPages + 1);
            long first = top;
            while (first > floor && !isAllocated(first - 1) && !isReleased(first - 1)) {
                first--;
            }
            return first << 10 | (top - first + 1);
        }
        return -1;
    }

    /**
     * Whether a page is allocated; pages not grown count as allocated.
     *
     * @param page a page index
     * @return true if allocated or not grown
     */
    public boolean isAllocated(final long page) {
        return !isGrown(page) || allocated.get((int) page);
    }

    /**
     * Whether a page is free and released.
     *
     * @param page a page index
     * @return true if released
     */
    public boolean isReleased(final long page) {
        return isGrown(page) && released.get((int) page);
    }

    /**
     * Whether a page's chunk has been grown.
     *
     * @param page a page index
     * @return true if grown
     */
    public boolean isGrown(final long page) {
        return page >= 0 && page < PAGE_LIMIT && grown.get((int) page);
    }

    /**
     * Pages grown into the heap.
     *
     * @return the count
     */
    public long grownPages() {
        return grown.cardinality();
    }

    /**
     * Grown pages that are allocated.
     *
     * @return the count
     */
    public long allocatedPages() {
        return allocated.cardinality();
    }

    /**
     * Free pages that are released.
     *
     * @return the count
     */
    public long releasedPages() {
        return released.cardinality();
    }

    /**
     * The length of the longest run of grown free pages: {@code find(n)} succeeds exactly for {@code n} up to
     * it.
     *
     * @return the length, 0 if no page is free
     */
    public long longestFreeRun() {
        long best = 0;
        long run = 0;
        for (int p = grown.nextSetBit(0); p >= 0; p = grown.nextSetBit(p + 1)) {
            if (p > 0 && !grown.get(p - 1)) {
                run = 0;
            }
            run = allocated.get(p) ? 0 : run + 1;
            best = Math.max(best, run);
        }
        return best;
    }

    private static void checkRange(final long first, final long npages) {
        if (npages <= 0 || first < 0 || first > PAGE_LIMIT - npages) {
            throw new IllegalArgumentException("page range must lie within [0, " + PAGE_LIMIT + "): first=" + first
                    + ", npages=" + npages);
        }
    }
}
