package dev.pagoda.alloc;

/**
 * A snapshot of a {@link Heap}: the page heap underneath and the small-object spans carved from it.
 *
 * @param pages      the page heap's statistics; small-object spans count there as in-use pages
 * @param spans      how many small-object spans exist
 * @param spanBytes  the bytes those spans occupy
 * @param spanReleasedBytes the bytes of those spans given back to the OS while the spans live (OS pages on which
 *                   no object lives; made Ready again when an object on them is handed out)
 * @param limitBytes the hard limit on Ready bytes, or {@link Long#MAX_VALUE} for none
 * @param classes    per size class, smallest first: spans, allocations, frees, fragmentation
 */
public record HeapStats(PageHeapStats pages, long spans, long spanBytes, long spanReleasedBytes, long limitBytes,
                        java.util.List<SizeClassStats> classes) {
    /**
     * Bytes in page runs handed to callers directly (allocations above the largest size class).
     *
     * @return in-use page bytes not held by spans, plus large runs
     */
    public long pageRunBytes() {
        return pages.inUseBytes() - spanBytes + pages.largeBytes();
    }

    /**
     * What the heap's {@link Reclaimer}s did at the memory limit: rounds, calls, bytes asked for and reclaimed.
     *
     * @return the page heap's {@link PageHeapStats#reclaims()}
     */
    public ReclaimStats reclaims() {
        return pages.reclaims();
    }

    /**
     * Bytes lost to internal fragmentation: rounding up to size classes (cumulative) and span tails (current).
     *
     * @return the sum over all classes
     */
    public long fragmentationBytes() {
        long sum = 0;
        for (final SizeClassStats c : classes) {
            sum += c.roundingBytes() + c.tailBytes();
        }
        return sum;
    }
}
