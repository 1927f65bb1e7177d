package dev.pagoda.alloc;

/**
 * What a heap has given back to the OS, and what it cost: the scavenger's part of {@link PageHeapStats}.
 *
 * @param releasedBackgroundBytes bytes the background scavenger released (Go's {@code releasedBg})
 * @param releasedOnDemandBytes   bytes released by {@code releaseToOs()} and by allocations at the hard limit
 *                                (Go's {@code releasedEager})
 * @param workNanos               time the background scavenger spent working for this heap, by the monotonic
 *                                clock: searching, releasing and collapsing, not sleeping
 * @param cycles                  background cycles completed: each runs from the moment retained memory exceeds
 *                                the goal until the goal is met or nothing more may be released
 * @param collapsedBytes          bytes of densely used chunks the scavenger asked the kernel to collapse into huge
 *                                pages ({@link HugePagePolicy#COLLAPSE} only)
 * @param retainedBytes           arena memory kept resident: allocated and free pages that are not released
 * @param goalBytes               the retained bytes the background scavenger aims for: live pages plus 10%
 * @param memoryTargetBytes       the soft target on Ready bytes, {@link Long#MAX_VALUE} if none; the scavenger
 *                                aims for 95% of it
 * @param background              whether a background scavenger serves this heap
 */
public record ScavengerStats(long releasedBackgroundBytes, long releasedOnDemandBytes, long workNanos, long cycles,
                             long collapsedBytes, long retainedBytes, long goalBytes, long memoryTargetBytes,
                             boolean background) {
    /**
     * All bytes released to the OS so far, by either path.
     *
     * @return {@code releasedBackgroundBytes + releasedOnDemandBytes}
     */
    public long releasedBytes() {
        return releasedBackgroundBytes + releasedOnDemandBytes;
    }
}
