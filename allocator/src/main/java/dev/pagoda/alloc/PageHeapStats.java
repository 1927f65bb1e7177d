package dev.pagoda.alloc;

/**
 * A consistent snapshot of a {@link PageHeap}'s memory, in bytes.
 *
 * <p>Every page of the heap's arenas is in exactly one state, and at every snapshot taken while no system call of
 * the heap is under way (the figures come from one moment under the heap's locks, but a release, the readying of
 * released pages and a large run's mapping or unmapping run with no lock held, and move bytes between the OS
 * layer's states while they do):
 * <pre>
 *   reservedBytes = arenaBytes + largeBytes
 *   arenaBytes    = ungrownBytes + inUseBytes + cachedBytes + freeBytes + releasedBytes
 *   readyBytes    = inUseBytes + cachedBytes + freeBytes + largeBytes     (the OS layer's Ready bytes)
 *   releasedBytes = the OS layer's Prepared bytes
 * </pre>
 * where {@code mappedBytes()} = {@code inUse + cached + free + released + large} is what the heap has mapped.
 *
 * @param pageSize       the heap's page size
 * @param arenas         how many arenas are reserved
 * @param arenaBytes     address space reserved for arenas
 * @param ungrownBytes   arena address space not yet mapped (Reserved)
 * @param inUseBytes     pages handed out and not yet freed
 * @param cachedBytes    free pages held by per-thread page caches (Ready)
 * @param freeBytes      free pages still resident (Ready)
 * @param releasedBytes  free pages given back to the OS (Prepared)
 * @param largeBytes     dedicated reservations of allocations larger than an arena
 * @param largeCount     how many such allocations are live
 * @param readyBytes     the OS layer's Ready bytes (Go's {@code mappedReady})
 * @param reservedBytes  all address space the heap holds
 * @param scavenger      what the heap has given back to the OS and what that cost
 * @param reclaims       what the heap's {@link Reclaimer}s did at the memory limit
 */
public record PageHeapStats(long pageSize, int arenas, long arenaBytes, long ungrownBytes, long inUseBytes,
                            long cachedBytes, long freeBytes, long releasedBytes, long largeBytes, long largeCount,
                            long readyBytes, long reservedBytes, ScavengerStats scavenger, ReclaimStats reclaims) {
    /**
     * Bytes the heap has mapped: everything but ungrown arena space.
     *
     * @return {@code inUse + cached + free + released + large}
     */
    public long mappedBytes() {
        return inUseBytes + cachedBytes + freeBytes + releasedBytes + largeBytes;
    }

    /**
     * Bytes handed out to callers, arena pages and large allocations together.
     *
     * @return {@code inUse + large}
     */
    public long allocatedBytes() {
        return inUseBytes + largeBytes;
    }
}
