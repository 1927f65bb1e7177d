package dev.pagoda.alloc.pagealloc;

/**
 * A thread's handful of recently freed page runs too long for its {@link PageCache} group (16 to 128 pages),
 * kept allocated so that the next request of exactly that length takes one back without the heap lock: Netty's
 * "normal" thread cache, in small. It holds at most {@value #SLOTS} runs and {@value #MAX_PAGES} pages (1 MiB of
 * 8 KiB pages), so a thread retains little; the runs go back to the page allocator when the cache is flushed
 * (thread end, {@code releaseToOs}). Used under the owning {@link PageCache}'s lock.
 */
public final class RunStash {
    /** Shortest run kept: shorter ones fit the page cache's group. */
    static final int MIN_RUN = PageCache.MAX_PAGES + 1;
    /** The most pages kept in all. */
    public static final int MAX_PAGES = 128;
    private static final int SLOTS = 4;

    private final long[] first = new long[SLOTS];
    private final int[] length = new int[SLOTS];
    private int count;
    private int pages;

    /** Keeps the run if there is room; false if it must go back to the heap. */
    public boolean put(final long page, final int npages) {
        if (npages < MIN_RUN || count == SLOTS || pages + npages > MAX_PAGES) {
            return false;
        }
        first[count] = page;
        length[count] = npages;
        count++;
        pages += npages;
        return true;
    }

    /** Takes a kept run of exactly {@code npages}; its first page index, or -1. */
    public long take(final int npages) {
        for (int i = 0; i < count; i++) {
            if (length[i] == npages) {
                final long page = first[i];
                count--;
                first[i] = first[count];
                length[i] = length[count];
                pages -= npages;
                return page;
            }
        }
        return -1;
    }

    public int count() {
        return count;
    }

    public long first(final int i) {
        return first[i];
    }

    public int length(final int i) {
        return length[i];
    }

    /** Pages held. */
    public int pages() {
        return pages;
    }

    public void clear() {
        count = 0;
        pages = 0;
    }
}
