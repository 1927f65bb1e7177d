package dev.pagoda.alloc;

/**
 * A heap's management interface, registered with the platform MBean server as
 * {@code dev.pagoda:type=Heap,name=NAME} while the heap is open (unless it was built with {@code jmx(false)}).
 * JConsole, VisualVM or any JMX client can read the figures and change the limit and the target at run time.
 * The attributes are read on demand; the residency ones measure the kernel's view and cost milliseconds.
 *
 * <p>The MBean is also a {@link javax.management.NotificationEmitter}: as the heap closes, before the MBean is
 * unregistered, it sends one {@link #CLOSE_NOTIFICATION} with the heap's final counters and levels, so that a
 * listener measuring a period (a profiler) still counts a heap that closed during it.
 */
public interface HeapMXBean {
    /**
     * The type of the notification a heap's MBean sends once, from the thread that closes the heap, before the
     * heap refuses work and the MBean is unregistered. Its user data is a
     * {@link javax.management.openmbean.CompositeData} whose items {@code TotalSmallAllocations},
     * {@code TotalSmallAllocationBytes}, {@code ReadyBytes}, {@code AllocatedBytes} and {@code ReleasedBytes} are
     * those attributes' final values.
     */
    String CLOSE_NOTIFICATION = "dev.pagoda.heap.close";

    /**
     * The heap's name.
     *
     * @return the name
     */
    String getName();

    /**
     * Bytes of page runs handed out: spans of small objects, page-run allocations and large runs.
     *
     * @return the bytes
     */
    long getAllocatedBytes();

    /**
     * Small objects (those served from size classes, up to 32 KiB) allocated since the heap was built, by every
     * thread: a count that only grows, for allocation rates. Page runs, which {@code Heap.allocate} hands out above
     * the largest size class, are not counted. Read from the threads' caches without stopping them, so it may lag
     * allocations in progress; it is exact while no thread allocates.
     *
     * @return the count
     */
    long getTotalSmallAllocations();

    /**
     * Bytes of the small objects allocated since the heap was built ({@link #getTotalSmallAllocations()}), each
     * counted at its size class, which is what {@code usableSize} reports for it: a sum that only grows.
     *
     * @return the bytes
     */
    long getTotalSmallAllocationBytes();

    /**
     * Bytes the heap keeps resident in its arenas: allocated, cached and free pages that are not released.
     *
     * @return the bytes
     */
    long getRetainedBytes();

    /**
     * Bytes in the Ready state, which the hard limit caps.
     *
     * @return the bytes
     */
    long getReadyBytes();

    /**
     * Bytes of free pages released to the OS and not yet reused.
     *
     * @return the bytes
     */
    long getReleasedBytes();

    /**
     * Bytes the background scavenger released so far.
     *
     * @return the bytes
     */
    long getReleasedBackgroundBytes();

    /**
     * Bytes released so far by {@code releaseToOs()} and by allocations at the hard limit.
     *
     * @return the bytes
     */
    long getReleasedOnDemandBytes();

    /**
     * Time the background scavenger spent working for this heap.
     *
     * @return nanoseconds
     */
    long getScavengerWorkNanos();

    /**
     * Background scavenger cycles completed.
     *
     * @return the count
     */
    long getScavengerCycles();

    /**
     * Rounds of {@link Reclaimer}s run for allocations at the hard limit.
     *
     * @return the count
     */
    long getReclaimRounds();

    /**
     * Bytes the {@link Reclaimer}s reported freed at the hard limit.
     *
     * @return the bytes
     */
    long getReclaimedBytes();

    /**
     * Allocations that met the hard limit and failed although the {@link Reclaimer}s were asked.
     *
     * @return the count
     */
    long getReclaimFailedAllocations();

    /**
     * The hard limit on Ready bytes ({@link Long#MAX_VALUE} for none).
     *
     * @return the limit
     */
    long getMemoryLimit();

    /**
     * Changes the hard limit on Ready bytes.
     *
     * @param bytes the new limit, positive
     */
    void setMemoryLimit(long bytes);

    /**
     * The soft target on Ready bytes ({@link Long#MAX_VALUE} for none).
     *
     * @return the target
     */
    long getMemoryTarget();

    /**
     * Changes the soft target on Ready bytes.
     *
     * @param bytes the new target, positive
     */
    void setMemoryTarget(long bytes);

    /**
     * The huge-page policy in force.
     *
     * @return the policy's name
     */
    String getHugePagePolicy();

    /**
     * Why that huge-page policy is in force.
     *
     * @return one sentence
     */
    String getHugePageReason();

    /**
     * Bytes of the heap's mappings resident now (measured with {@code mincore}).
     *
     * @return the bytes, -1 on a simulated OS
     */
    long getResidentBytes();

    /**
     * Bytes of the heap's mappings backed by transparent huge pages now ({@code smaps}).
     *
     * @return the bytes, -1 on a simulated OS
     */
    long getHugePageBytes();

    /**
     * The process's resident set.
     *
     * @return the bytes, -1 where unknown
     */
    long getProcessRssBytes();

    /**
     * Gives every free page back to the OS now.
     *
     * @return the bytes released
     */
    long releaseToOs();
}
