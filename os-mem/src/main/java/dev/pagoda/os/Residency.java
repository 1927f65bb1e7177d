package dev.pagoda.os;

/**
 * How many pages of a range are resident in physical memory, as {@code mincore(2)} reported them at one
 * moment; see {@link Platform#residency(long, long)}.
 *
 * <p>The answer is stale as soon as it is returned: the kernel may reclaim or swap pages, and other threads
 * may touch them. Pages are the system's pages ({@link Platform#pageSize()}), even where huge pages back the
 * range.
 *
 * @param pages         the number of pages in the range, the length rounded up to whole pages
 * @param residentPages how many of them were resident
 */
public record Residency(long pages, long residentPages) {
    /**
     * Checks that the counts are consistent.
     *
     * @param pages         the number of pages in the range
     * @param residentPages how many of them were resident
     * @throws IllegalArgumentException if {@code pages} is negative or {@code residentPages} is negative or
     *                                  greater than {@code pages}
     */
    public Residency {
        if (pages < 0) {
            throw new IllegalArgumentException("pages must not be negative: pages=" + pages);
        }
        if (residentPages < 0 || residentPages > pages) {
            throw new IllegalArgumentException("residentPages must be in [0, pages]: residentPages=" +
                    residentPages + ", pages=" + pages);
        }
    }

    /**
     * The pages that were not resident: never touched, released, or swapped out.
     *
     * @return {@code pages - residentPages}
     */
    public long nonResidentPages() {
        return pages - residentPages;
    }

    /**
     * Whether every page of the range was resident.
     *
     * @return {@code residentPages == pages}
     */
    public boolean isFullyResident() {
        return residentPages == pages;
    }

    /**
     * The resident share of the range.
     *
     * @return {@code residentPages / pages}, or 0 for an empty range
     */
    public double residentFraction() {
        return pages == 0 ? 0.0 : (double) residentPages / pages;
    }
}
