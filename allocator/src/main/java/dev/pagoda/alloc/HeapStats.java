package dev.pagoda.alloc;

/**
 * A snapshot of a {@link Heap}: the page heap underneath and the small-object spans carved from it.
 *
 * @param pages      the page heap's statistics; small-object spans count there as in-use pages
 * @param spans      how many small-object spans exist
 * @param spanBytes  the bytes those spans occupy
 * @param limitBytes the hard limit on Ready bytes, or {@link Long#MAX_VALUE} for none
 */
public record HeapStats(PageHeapStats pages, long spans, long spanBytes, long limitBytes) {
    /**
     * Bytes in page runs handed to callers directly (allocations above the largest size class).
     *
     * @return in-use page bytes not held by spans, plus large runs
     */
    public long pageRunBytes() {
        return pages.inUseBytes() - spanBytes + pages.largeBytes();
    }
}
