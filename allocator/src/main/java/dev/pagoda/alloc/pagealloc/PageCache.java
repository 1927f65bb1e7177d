package dev.pagoda.alloc.pagealloc;


/**
 * A small cache of free pages owned by one thread, after Go's per-P {@code pageCache}: one 64-page aligned
 * group of the heap, as a bitmask of the pages still free in it. Allocating up to {@value #MAX_PAGES} pages
 * from it is a few bit operations and needs no lock; the pages in it count as allocated in the
 * {@link PageAlloc} until the cache is {@linkplain PageAlloc#flush flushed}.
 *
 * <p>Besides the free mask the cache keeps, per page, whether the page is released to the OS (it must be
 * made Ready before use) and whether it is fresh (never handed out since it came from the OS, so it reads as
 * zero). After {@link #alloc} the caller reads {@link #lastReleased()} and {@link #lastZeroed()} to learn
 * what the pages it got need.
 *
 * <p>Not thread-safe: its owner uses it, and others only under the owner's lock. A {@code PageHeap}'s caches
 * are used under their {@link #lock}, in the order {@code PageCaches} writes down.
 */
public final class PageCache {
    /** The largest run served from a cache; larger requests go to the heap, as in Go. */
    public static final int MAX_PAGES = 15;

    /**
     * Held by whoever uses or inspects the cache inside a {@code PageHeap}: its owner thread on every use (one
     * uncontended compare-and-set, and a volatile store to release it), others to flush it or to see every cache at
     * once. A thread holds at most one cache lock, except the heap's whole-heap views, which take them all in
     * ascending {@link #id} order. Then the heap lock may follow; never the other way round (see {@code PageCaches}).
     */
    public final CacheLock lock = new CacheLock();
    /** The cache's place in the lock order: unique and increasing in creation order within one heap; -1 if none. */
    public long id = -1;

    private final boolean releasedReadsZero;
    /** Longer freed runs kept for reuse, beside the group (see {@link RunStash}). */
    public final RunStash stash = new RunStash();
    private long base = -1;
    private long free;
    private long released;
    private long fresh;
    private long lastReleased;
    private boolean lastZeroed;

    /**
     * Creates an empty cache.
     *
     * @param releasedReadsZero whether pages released to the OS read back as zero when used again (Linux
     *                          {@code MADV_DONTNEED}); false for {@code MADV_FREE} and Darwin
     */
    public PageCache(final boolean releasedReadsZero) {
        this.releasedReadsZero = releasedReadsZero;
    }

    /** Takes a new group; called by {@link PageAlloc#allocToCache}. */
    void fill(final long base, final long free, final long released) {
        this.base = base;
        this.free = free;
        this.released = released;
        this.fresh = 0;
    }

    /** Marks pages of the group as never used since they came from the OS. */
    public void markFresh(final long mask) {
        fresh |= mask & free;
    }

    /**
     * Records that the released pages of {@code mask} were made Ready: they are no longer released and, where
     * the OS guarantees it, read as zero.
     */
    public void markUsed(final long mask) {
        if (releasedReadsZero) {
            fresh |= released & mask;
        }
        released &= ~mask;
    }

    void clear() {
        base = -1;
        free = 0;
        released = 0;
        fresh = 0;
    }

    /**
     * Takes the first run of {@code npages} free pages of the cache.
     *
     * @param npages 1 to 64 (the heap asks for at most {@link #MAX_PAGES})
     * @return the run's first page index, or -1 if the cache has no such run
     * @throws IllegalArgumentException if {@code npages} is outside 1..64
     */
    public long alloc(final int npages) {
        if (npages < 1 || npages > Long.SIZE) {
            throw new IllegalArgumentException("npages must be between 1 and 64: npages=" + npages);
        }
        final int bit = npages == 1 ? (free == 0 ? -1 : Long.numberOfTrailingZeros(free))
                : Bitmaps.firstRunOfOnes(free, npages);
        return bit < 0 ? -1 : take(bit, npages);
    }

    /**
     * Takes the first run of {@code npages} free pages whose first page index is a multiple of
     * {@code alignPages} (the group's base is a multiple of 64, so only the offset within it matters).
     *
     * @param npages     1 to 64
     * @param alignPages a power of two from 1 to 64
     * @return the run's first page index, or -1 if the cache has no such run
     * @throws IllegalArgumentException if an argument is out of range
     */
    public long allocAligned(final int npages, final int alignPages) {
        if (npages < 1 || npages > Long.SIZE || alignPages < 1 || alignPages > Long.SIZE
                || Integer.bitCount(alignPages) != 1) {
            throw new IllegalArgumentException("npages must be 1 to 64 and alignPages a power of two up to 64: "
                    + "npages=" + npages + ", alignPages=" + alignPages);
        }
        long starts = free; // bit i stays set while pages i .. i + k are all free
        for (int k = 1; k < npages && starts != 0; k++) {
            starts &= free >>> k;
        }
        starts &= ALIGNED[Integer.numberOfTrailingZeros(alignPages)];
        return starts == 0 ? -1 : take(Long.numberOfTrailingZeros(starts), npages);
    }

    /** Bits at every multiple of {@code 1 << i}, for each {@code i} from 0 to 6. */
    private static final long[] ALIGNED = {-1L, 0x5555_5555_5555_5555L, 0x1111_1111_1111_1111L,
            0x0101_0101_0101_0101L, 0x0001_0001_0001_0001L, 0x0000_0001_0000_0001L, 1L};

    private long take(final int bit, final int npages) {
        final long m = Bitmaps.mask(bit, npages);
        final long rel = released & m;
        lastReleased = Long.bitCount(rel);
        final long zero = fresh | (releasedReadsZero ? released : 0);
        lastZeroed = (zero & m) == m;
        free &= ~m;
        released &= ~m;
        fresh &= ~m;
        return base + bit;
    }

    /**
     * Takes back a run that lies in the cache's group (the common case of freeing what was just allocated).
     * The pages come back dirty: neither released nor fresh.
     *
     * @param first  the run's first page index
     * @param npages its length
     * @return true if the run was taken, false if it lies outside the group (free it to the heap instead)
     */
    public boolean free(final long first, final int npages) {
        if (base < 0 || first < base || first + npages > base + Long.SIZE) {
            return false;
        }
        final long m = Bitmaps.mask((int) (first - base), npages);
        free |= m;
        return true;
    }

    /**
     * How many pages of the last {@link #alloc} were released to the OS (and must be made Ready).
     *
     * @return the count
     */
    public long lastReleased() {
        return lastReleased;
    }

    /**
     * Whether every page of the last {@link #alloc} is known to read as zero.
     *
     * @return true if no zeroing is needed
     */
    public boolean lastZeroed() {
        return lastZeroed;
    }

    /**
     * The first page index of the cached group, or -1 when empty.
     *
     * @return the base page index
     */
    public long base() {
        return base;
    }

    /**
     * The pages of the group still free in the cache, bit {@code i} for page {@code base + i}.
     *
     * @return the mask
     */
    public long freeMask() {
        return free;
    }

    /**
     * Which of the free pages are released to the OS.
     *
     * @return the mask
     */
    public long releasedMask() {
        return released & free;
    }

    /**
     * How many pages the cache holds.
     *
     * @return 0 to 64
     */
    public int pages() {
        return Long.bitCount(free);
    }
}
