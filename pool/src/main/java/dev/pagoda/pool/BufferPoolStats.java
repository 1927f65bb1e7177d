package dev.pagoda.pool;

/**
 * A snapshot of a {@link BufferPool}'s figures ({@link BufferPool#stats()}). The counters are read one after another
 * without stopping the pool, so under load two of them may be a few operations apart; each is exact on its own.
 *
 * @param pageSize       bytes per page
 * @param pageCount      pages in the file
 * @param maxPages       the most pages the file may grow to
 * @param budgetPages    the most frames resident at once: the memory budget over the page size
 * @param residentPages  frames holding a page now, or being filled with one (never above {@code budgetPages})
 * @param dirtyPages     resident pages with changes the file does not have yet
 * @param lockedPages    resident frames locked in memory ({@code mlock}); 0 unless built with {@code lockFrames(true)}
 * @param hits           fixes and optimistic reads that found their page resident
 * @param misses         fixes and optimistic reads that had to load their page
 * @param reads          pages read from the file
 * @param writes         pages written to the file (evictions of dirty pages and flushes)
 * @param evictions      pages the clock evicted
 */
public record BufferPoolStats(long pageSize, long pageCount, long maxPages, long budgetPages, long residentPages,
                              long dirtyPages, long lockedPages, long hits, long misses, long reads, long writes,
                              long evictions) {
    /**
     * The memory the resident frames hold, exactly as the pool counts it.
     *
     * @return {@code residentPages × pageSize}
     */
    public long residentBytes() {
        return residentPages * pageSize;
    }

    /**
     * The memory budget.
     *
     * @return {@code budgetPages × pageSize}
     */
    public long budgetBytes() {
        return budgetPages * pageSize;
    }

    /**
     * The share of accesses that found their page resident.
     *
     * @return {@code hits / (hits + misses)}, or 0 before the first access
     */
    public double hitRatio() {
        final long all = hits + misses;
        return all == 0 ? 0.0 : (double) hits / all;
    }
}
