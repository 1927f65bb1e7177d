package dev.pagoda.alloc.pagealloc;

import java.util.Arrays;

/**
 * The page allocator: which pages of the heap are allocated, which free pages have been released to the
 * OS, and a radix tree of {@linkplain PageSummary summaries} that finds the first run of {@code n} free pages
 * in {@code O(levels)} steps. A port in spirit of Go's {@code pageAlloc} ({@code mpagealloc.go}).
 *
 * <p>Pages are numbered by a dense <i>page index</i> from 0; the caller maps indexes to addresses (the
 * {@code PageHeap} gives every arena a slot of consecutive indexes). Pages come in chunks of
 * {@value #CHUNK_PAGES}; each chunk has an allocation bitmap and a released bitmap of 8 words each. A chunk
 * that has not been {@linkplain #grow grown} counts as fully allocated, so searches never land in it.
 *
 * <p>The summary tree has {@value #LEVELS} levels. The leaves (level 4) summarise one chunk each; an entry
 * of level {@code l} summarises 8 entries of level {@code l + 1}, so a root entry covers 4096 chunks, 2<sup>21</sup>
 * pages, the most a packed summary can count. The root level has as many entries as the heap needs and is
 * scanned linearly; below it each step looks at 8 entries. Arrays grow with the heap: metadata is
 * proportional to the pages actually managed.
 *
 * <p>Invariants, checked by {@link #checkInvariants()}: a released page is never allocated; every summary
 * equals the summary recomputed from the bitmaps; the counters equal the bitmaps' population counts.
 *
 * <p>Not thread-safe: the heap calls it under its lock. No method allocates once capacity is in place.
 */
public final class PageAlloc {
    /** Pages per chunk, as in Go. */
    public static final int CHUNK_PAGES = 512;
    /** Words per chunk bitmap. */
    static final int CHUNK_WORDS = CHUNK_PAGES / Long.SIZE;
    /** Levels of the summary tree; level {@code LEVELS - 1} summarises single chunks. */
    public static final int LEVELS = 5;
    private static final int LEAF = LEVELS - 1;
    private static final int FANOUT_BITS = 3;
    private static final int FANOUT = 1 << FANOUT_BITS;

    /** Allocation bits, {@link #CHUNK_WORDS} words per chunk; set = allocated (or not grown). */
    private long[] alloc = new long[0];
    /** Released bits, only ever set on free pages. */
    private long[] released = new long[0];
    /** Whether each chunk has been grown. */
    private boolean[] grown = new boolean[0];
    /** summaries[l][i]: level l, entry i. */
    private final long[][] summaries = new long[LEVELS][0];
    private int chunks;
    /** Density history for the scavenger, told of every change of a chunk's allocated count. */
    public final ScavengeIndex scavengeIndex = new ScavengeIndex();
    /** Set while the scavenger takes or returns a run: those changes are not the program's use. */
    private boolean quiet;

    private long grownPages;
    private long allocatedPages;
    private long releasedPages;

    /** Creates an empty page allocator: no chunks, nothing to allocate until {@link #grow}. */
    public PageAlloc() {
    }

    /**
     * Pages covered by one summary entry of {@code level}.
     *
     * @param level 0 (root) to {@value #LEVELS} - 1 (chunk)
     * @return {@code 512 * 8^(4 - level)}
     */
    public static long pagesPerEntry(final int level) {
        return (long) CHUNK_PAGES << (FANOUT_BITS * (LEAF - level));
    }

    /**
     * Makes room for page indexes below {@code pages} (rounded up to whole chunks); new chunks are not grown.
     *
     * @param pages the number of page indexes needed
     * @throws IllegalArgumentException if {@code pages} is negative or needs more than 2<sup>31</sup> - 1 chunks
     */
    public void ensureCapacity(final long pages) {
        if (pages < 0 || (pages + CHUNK_PAGES - 1) / CHUNK_PAGES > Integer.MAX_VALUE / CHUNK_WORDS) {
            throw new IllegalArgumentException("pages must be between 0 and " + (long) Integer.MAX_VALUE
                    / CHUNK_WORDS * CHUNK_PAGES + ": pages=" + pages);
        }
        final int need = (int) ((pages + CHUNK_PAGES - 1) / CHUNK_PAGES);
        if (need <= chunks) {
            return;
        }
        final int capacity = Math.max(need, Math.min(Integer.MAX_VALUE / CHUNK_WORDS, chunks * 2));
        final int oldWords = alloc.length;
        alloc = Arrays.copyOf(alloc, capacity * CHUNK_WORDS);
        Arrays.fill(alloc, oldWords, alloc.length, -1L);
        released = Arrays.copyOf(released, capacity * CHUNK_WORDS);
        grown = Arrays.copyOf(grown, capacity);
        for (int l = 0; l < LEVELS; l++) {
            summaries[l] = Arrays.copyOf(summaries[l], entries(l, capacity));
        }
        scavengeIndex.ensureCapacity(capacity);
        chunks = capacity;
    }

    /**
     * Adds pages to the heap, free and released (fresh memory from the OS is Prepared, and reads as zero).
     *
     * @param first the first page index, a multiple of {@value #CHUNK_PAGES}
     * @param npages how many pages, a positive multiple of {@value #CHUNK_PAGES}
     * @throws IllegalArgumentException if the range is not whole chunks
     * @throws IllegalStateException    if a chunk of the range was grown already
     */
    public void grow(final long first, final long npages) {
        if (first < 0 || npages <= 0 || first % CHUNK_PAGES != 0 || npages % CHUNK_PAGES != 0) {
            throw new IllegalArgumentException("grow needs whole chunks of " + CHUNK_PAGES + " pages: first=" + first
                    + ", npages=" + npages);
        }
        ensureCapacity(first + npages);
        final int c0 = (int) (first / CHUNK_PAGES);
        final int c1 = (int) ((first + npages) / CHUNK_PAGES);
        for (int c = c0; c < c1; c++) {
            if (grown[c]) {
                throw new IllegalStateException("chunk " + c + " (pages " + (long) c * CHUNK_PAGES + "..) was grown "
                        + "already");
            }
        }
        for (int c = c0; c < c1; c++) {
            grown[c] = true;
            Arrays.fill(alloc, c * CHUNK_WORDS, (c + 1) * CHUNK_WORDS, 0L);
            Arrays.fill(released, c * CHUNK_WORDS, (c + 1) * CHUNK_WORDS, -1L);
        }
        grownPages += npages;
        releasedPages += npages;
        update(c0, c1 - 1);
    }

    /**
     * The first (lowest index) run of {@code npages} free pages: Go's {@code pageAlloc.find}.
     *
     * @param npages the run length, at least 1
     * @return the run's first page index, or -1 if no run that long is free
     */
    public long find(final long npages) {
        if (npages <= 0) {
            throw new IllegalArgumentException("npages must be positive: npages=" + npages);
        }
        int level = 0;
        int from = 0;
        int count = summaries[0].length;
        long run = 0;
        while (true) {
            final long[] sums = summaries[level];
            final long each = pagesPerEntry(level);
            int descend = -1;
            for (int i = from; i < from + count; i++) {
                final long s = sums[i];
                final long start = PageSummary.start(s);
                if (run + start >= npages) {
                    return i * each - run;
                }
                if (PageSummary.max(s) >= npages) {
                    descend = i;
                    break;
                }
                run = start == each ? run + each : PageSummary.end(s);
            }
            if (descend < 0) {
                return -1;
            }
            if (level == LEAF) {
                final int bit = Bitmaps.findRun(alloc, descend * CHUNK_WORDS, CHUNK_WORDS, (int) npages);
                return (long) descend * CHUNK_PAGES + bit;
            }
            level++;
            from = descend << FANOUT_BITS;
            count = Math.min(FANOUT, summaries[level].length - from);
            run = 0;
        }
    }

    /**
     * Marks {@code [first, first + npages)} allocated: Go's {@code allocRange}. Released pages in the range stop
     * being released (the caller makes them Ready).
     *
     * @param first  the first page index
     * @param npages how many pages
     * @return how many of the pages were released
     * @throws IllegalStateException if a page of the range is allocated already or was never grown
     */
    public long allocRange(final long first, final long npages) {
        checkRange(first, npages);
        if (!allFree(first, npages)) {
            throw new IllegalStateException("pages [" + first + ", " + (first + npages) + ") are not all free");
        }
        long wasReleased = 0;
        final long end = first + npages;
        for (long p = first; p < end; ) {
            final int w = (int) (p >>> 6);
            final int bit = (int) (p & 63);
            final int n = (int) Math.min(64 - bit, end - p);
            final long m = Bitmaps.mask(bit, n);
            alloc[w] |= m;
            wasReleased += Long.bitCount(released[w] & m);
            released[w] &= ~m;
            p += n;
        }
        allocatedPages += npages;
        releasedPages -= wasReleased;
        update((int) (first / CHUNK_PAGES), (int) ((end - 1) / CHUNK_PAGES));
        return wasReleased;
    }

    /**
     * Marks {@code [first, first + npages)} free: Go's {@code pageAlloc.free}. With {@code released} the pages
     * are also marked released (the caller gave them back to the OS).
     *
     * @param first    the first page index
     * @param npages   how many pages
     * @param released whether the pages are now released to the OS
     * @throws IllegalStateException if a page of the range is not allocated
     */
    public void freeRange(final long first, final long npages, final boolean released) {
        checkRange(first, npages);
        if (!allAllocated(first, npages)) {
            throw new IllegalStateException("pages [" + first + ", " + (first + npages) + ") are not all allocated");
        }
        final long end = first + npages;
        for (long p = first; p < end; ) {
            final int w = (int) (p >>> 6);
            final int bit = (int) (p & 63);
            final int n = (int) Math.min(64 - bit, end - p);
            final long m = Bitmaps.mask(bit, n);
            alloc[w] &= ~m;
            if (released) {
                this.released[w] |= m;
            }
            p += n;
        }
        allocatedPages -= npages;
        if (released) {
            releasedPages += npages;
        }
        update((int) (first / CHUNK_PAGES), (int) ((end - 1) / CHUNK_PAGES));
    }

    /**
     * Hands every free page of the 64-page group holding the first free page to a {@link PageCache}, marking
     * them allocated: Go's {@code allocToCache}.
     *
     * @param cache the cache to fill; its previous contents must have been flushed
     * @return true if the cache was filled, false if no page is free
     * @throws IllegalStateException if the cache still holds pages
     */
    public boolean allocToCache(final PageCache cache) {
        return allocToCache(cache, 1);
    }

    /**
     * Like {@link #allocToCache(PageCache)}, but takes the group holding the first free run of {@code npages}
     * pages. The run may straddle into the next group, in which case the cache cannot serve it whole.
     *
     * @param cache  the cache to fill; its previous contents must have been flushed
     * @param npages the run the caller is about to take from the cache
     * @return true if the cache was filled, false if no run of {@code npages} pages is free
     * @throws IllegalStateException if the cache still holds pages
     */
    public boolean allocToCache(final PageCache cache, final int npages) {
        if (cache.pages() != 0) {
            throw new IllegalStateException("the cache still holds " + cache.pages() + " pages: flush it first");
        }
        final long p = find(npages);
        if (p < 0) {
            return false;
        }
        final int w = (int) (p >>> 6);
        final long free = ~alloc[w];
        final long rel = released[w] & free;
        alloc[w] = -1L;
        released[w] &= ~free;
        allocatedPages += Long.bitCount(free);
        releasedPages -= Long.bitCount(rel);
        update(w / CHUNK_WORDS, w / CHUNK_WORDS);
        cache.fill((long) w << 6, free, rel);
        return true;
    }

    /**
     * Takes back the pages a {@link PageCache} still holds, keeping their released marks, and empties it.
     *
     * @param cache the cache to flush
     */
    public void flush(final PageCache cache) {
        final long free = cache.freeMask();
        if (free == 0) {
            cache.clear();
            return;
        }
        final int w = (int) (cache.base() >>> 6);
        if ((alloc[w] & free) != free) {
            throw new IllegalStateException("cache pages at " + cache.base() + " are not allocated: corrupted cache");
        }
        final long rel = cache.releasedMask() & free;
        alloc[w] &= ~free;
        released[w] |= rel;
        allocatedPages -= Long.bitCount(free);
        releasedPages += Long.bitCount(rel);
        update(w / CHUNK_WORDS, w / CHUNK_WORDS);
        cache.clear();
    }

    /**
     * The highest run of free, unreleased pages below page {@code below}, within one aligned block of
     * {@code blockPages} and at most {@code maxPages} long, taken from the run's top end: what a forced release
     * ({@code releaseToOs}, the memory limit) takes next. The background scavenger searches the same way but
     * also skips densely used chunks.
     *
     * @param below      the search starts at page {@code below - 1} and goes down
     * @param maxPages   the longest run wanted, at least 1
     * @param blockPages the block size, a power of two from 64 to {@value #CHUNK_PAGES}
     * @return the run packed as {@code first << 10 | npages}, or -1 if no page below qualifies
     * @throws IllegalArgumentException if {@code maxPages} or {@code blockPages} is out of range
     */
    public long findReleasableBelow(final long below, final long maxPages, final int blockPages) {
        if (maxPages < 1 || blockPages < 64 || blockPages > CHUNK_PAGES || Integer.bitCount(blockPages) != 1) {
            throw new IllegalArgumentException("maxPages must be positive and blockPages a power of two from 64 to "
                    + CHUNK_PAGES + ": maxPages=" + maxPages + ", blockPages=" + blockPages);
        }
        return scavengeIndex.find(this, below, maxPages, blockPages, true, false);
    }

    /**
     * Whether page {@code page} is allocated (pages of chunks not grown count as allocated).
     *
     * @param page a page index
     * @return true if allocated
     */
    public boolean isAllocated(final long page) {
        return page < 0 || page >= (long) chunks * CHUNK_PAGES || (alloc[(int) (page >>> 6)] >>> (page & 63) & 1) != 0;
    }

    /**
     * Whether page {@code page} is free and released to the OS.
     *
     * @param page a page index
     * @return true if released
     */
    public boolean isReleased(final long page) {
        return page >= 0 && page < (long) chunks * CHUNK_PAGES
                && (released[(int) (page >>> 6)] >>> (page & 63) & 1) != 0;
    }

    /**
     * Whether the chunk holding {@code page} has been grown.
     *
     * @param page a page index
     * @return true if grown
     */
    public boolean isGrown(final long page) {
        return page >= 0 && page < (long) chunks * CHUNK_PAGES && grown[(int) (page / CHUNK_PAGES)];
    }

    /**
     * Pages grown into the heap.
     *
     * @return the count
     */
    public long grownPages() {
        return grownPages;
    }

    /**
     * Grown pages that are allocated (handed out, or held by page caches).
     *
     * @return the count
     */
    public long allocatedPages() {
        return allocatedPages;
    }

    /**
     * Free pages that are released to the OS.
     *
     * @return the count
     */
    public long releasedPages() {
        return releasedPages;
    }

    /**
     * Free pages that are still resident (not released).
     *
     * @return {@code grownPages - allocatedPages - releasedPages}
     */
    public long freeResidentPages() {
        return grownPages - allocatedPages - releasedPages;
    }

    /**
     * The packed summary of entry {@code index} of {@code level}, for tests and diagnostics.
     *
     * @param level the level, 0 (root) to {@value #LEVELS} - 1
     * @param index the entry
     * @return the packed {@link PageSummary}
     */
    public long summary(final int level, final int index) {
        return summaries[level][index];
    }

    /**
     * How many chunks of page indexes the allocator has room for.
     *
     * @return the chunk capacity
     */
    public int chunkCapacity() {
        return chunks;
    }

    /**
     * Recomputes everything from the bitmaps and compares: summaries at every level, the counters, and that no
     * released page is allocated.
     *
     * @throws IllegalStateException describing the first difference
     */
    public void checkInvariants() {
        long g = 0;
        long a = 0;
        long r = 0;
        for (int c = 0; c < chunks; c++) {
            for (int w = c * CHUNK_WORDS; w < (c + 1) * CHUNK_WORDS; w++) {
                if ((alloc[w] & released[w]) != 0) {
                    throw new IllegalStateException("word " + w + " has pages both allocated and released");
                }
                if (grown[c]) {
                    a += Long.bitCount(alloc[w]);
                    r += Long.bitCount(released[w]);
                } else if (alloc[w] != -1L || released[w] != 0) {
                    throw new IllegalStateException("chunk " + c + " is not grown but has free or released pages");
                }
            }
            if (grown[c]) {
                g += CHUNK_PAGES;
            }
            final long leaf = Bitmaps.summarize(alloc, c * CHUNK_WORDS, CHUNK_WORDS);
            if (leaf != summaries[LEAF][c]) {
                throw new IllegalStateException("chunk " + c + " summary " + PageSummary.toString(summaries[LEAF][c])
                        + " but its bitmap says " + PageSummary.toString(leaf));
            }
        }
        for (int l = LEAF - 1; l >= 0; l--) {
            for (int i = 0; i < summaries[l].length; i++) {
                final long s = mergeChildren(l, i);
                if (s != summaries[l][i]) {
                    throw new IllegalStateException("level " + l + " entry " + i + " summary "
                            + PageSummary.toString(summaries[l][i]) + " but its children say " + PageSummary.toString(s));
                }
            }
        }
        if (g != grownPages || a != allocatedPages || r != releasedPages) {
            throw new IllegalStateException("counters grown/allocated/released=" + grownPages + "/" + allocatedPages
                    + "/" + releasedPages + " but the bitmaps hold " + g + "/" + a + "/" + r);
        }
    }

    /** {@link #allocRange} for the scavenger, which takes a run only to release it: no density change. */
    public long takeForRelease(final long first, final long npages) {
        quiet = true;
        try {
            return allocRange(first, npages);
        } finally {
            quiet = false;
        }
    }

    /** {@link #freeRange} for the scavenger putting back a run it took with {@link #takeForRelease}. */
    public void returnFromRelease(final long first, final long npages, final boolean released) {
        quiet = true;
        try {
            freeRange(first, npages, released);
        } finally {
            quiet = false;
        }
        if (released) {
            for (long c = first / CHUNK_PAGES; c <= (first + npages - 1) / CHUNK_PAGES; c++) {
                scavengeIndex.released((int) c);
            }
        }
    }

    /** Word {@code w} of the allocation bitmap. */
    long allocWord(final int w) {
        return alloc[w];
    }

    /** Word {@code w} of the released bitmap. */
    long releasedWord(final int w) {
        return released[w];
    }

    /** How many pages of chunk {@code c} are allocated. */
    int allocatedInChunk(final int c) {
        return allocatedWords((long) c * CHUNK_PAGES, CHUNK_PAGES);
    }

    /** How many of the {@code npages} pages from {@code first} are allocated; both multiples of 64. */
    int allocatedWords(final long first, final int npages) {
        int n = 0;
        for (int w = (int) (first >>> 6), end = w + (npages >>> 6); w < end; w++) {
            n += Long.bitCount(alloc[w]);
        }
        return n;
    }

    // ---------------------------------------------------------------------------------------------------

    /** Recomputes the summaries of chunks {@code c0..c1} and of their ancestors. */
    private void update(final int c0, final int c1) {
        for (int c = c0; c <= c1; c++) {
            summaries[LEAF][c] = Bitmaps.summarize(alloc, c * CHUNK_WORDS, CHUNK_WORDS);
            if (!quiet) {
                scavengeIndex.touched(c, allocatedInChunk(c));
            }
        }
        int lo = c0;
        int hi = c1;
        for (int l = LEAF - 1; l >= 0; l--) {
            lo >>= FANOUT_BITS;
            hi >>= FANOUT_BITS;
            for (int i = lo; i <= hi; i++) {
                summaries[l][i] = mergeChildren(l, i);
            }
        }
    }

    private long mergeChildren(final int level, final int index) {
        final long[] children = summaries[level + 1];
        final int from = index << FANOUT_BITS;
        final int present = Math.max(0, Math.min(FANOUT, children.length - from));
        return PageSummary.merge(children, from, FANOUT, present, pagesPerEntry(level + 1));
    }

    private static int entries(final int level, final int chunkCount) {
        final int shift = FANOUT_BITS * (LEAF - level);
        return (int) (((long) chunkCount + (1L << shift) - 1) >>> shift);
    }

    private void checkRange(final long first, final long npages) {
        if (npages <= 0 || first < 0 || first > (long) chunks * CHUNK_PAGES - npages) {
            throw new IllegalArgumentException("page range must lie within the allocator's " + chunks * (long) CHUNK_PAGES
                    + " pages: first=" + first + ", npages=" + npages);
        }
    }

    private boolean allFree(final long first, final long npages) {
        return allocatedIn(first, npages) == 0;
    }

    private boolean allAllocated(final long first, final long npages) {
        for (long c = first / CHUNK_PAGES; c <= (first + npages - 1) / CHUNK_PAGES; c++) {
            if (!grown[(int) c]) {
                return false;
            }
        }
        return allocatedIn(first, npages) == npages;
    }

    /** How many pages of {@code [first, first + npages)} are allocated, a word at a time. */
    private long allocatedIn(final long first, final long npages) {
        final long end = first + npages;
        long count = 0;
        for (long p = first; p < end; ) {
            final int bit = (int) (p & 63);
            final int n = (int) Math.min(64 - bit, end - p);
            count += Long.bitCount(alloc[(int) (p >>> 6)] & Bitmaps.mask(bit, n));
            p += n;
        }
        return count;
    }
}
