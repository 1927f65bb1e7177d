package dev.pagoda.pool;

/**
 * A buffer pool's management interface, registered with the platform MBean server as
 * {@code dev.pagoda:type=BufferPool,name=NAME} while the pool is open (unless it was built with {@code jmx(false)}).
 * Every attribute is read from the pool when asked; {@link #getResidentBytesByMincore()} asks the kernel and costs
 * about a microsecond per thousand frames.
 */
public interface BufferPoolMXBean {
    /**
     * The pool's name.
     *
     * @return the name
     */
    String getName();

    /**
     * The file of pages.
     *
     * @return its path
     */
    String getFile();

    /**
     * Bytes per page.
     *
     * @return the page size
     */
    long getPageSize();

    /**
     * Pages in the file.
     *
     * @return the page count
     */
    long getPageCount();

    /**
     * The most pages the file may grow to.
     *
     * @return the page limit
     */
    long getMaxPages();

    /**
     * The most memory the resident frames may hold.
     *
     * @return the budget in bytes
     */
    long getMemoryBudget();

    /**
     * The memory the resident frames hold, as the pool counts it.
     *
     * @return bytes
     */
    long getResidentBytes();

    /**
     * The memory of the frames the kernel holds now, by {@code mincore}.
     *
     * @return bytes, -1 once the pool is closed
     */
    long getResidentBytesByMincore();

    /**
     * Resident pages with changes the file does not have yet.
     *
     * @return the count
     */
    long getDirtyPages();

    /**
     * Frames locked in memory.
     *
     * @return the count
     */
    long getLockedPages();

    /**
     * Accesses that found their page resident.
     *
     * @return the count
     */
    long getHits();

    /**
     * Accesses that loaded their page.
     *
     * @return the count
     */
    long getMisses();

    /**
     * Pages read from the file.
     *
     * @return the count
     */
    long getReads();

    /**
     * Pages written to the file.
     *
     * @return the count
     */
    long getWrites();

    /**
     * Pages evicted.
     *
     * @return the count
     */
    long getEvictions();

    /**
     * Writes every dirty page to the file now.
     *
     * @return the pages written
     */
    long flush();
}
