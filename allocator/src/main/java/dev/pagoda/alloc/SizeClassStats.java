package dev.pagoda.alloc;

/**
 * What one size class of a {@link Heap} holds.
 *
 * @param size          the object size of the class
 * @param spans         spans of the class that exist now
 * @param allocations   objects ever allocated from the class
 * @param frees         objects ever freed back to it
 * @param roundingBytes bytes lost to rounding requests up to {@code size}, summed over all allocations so far
 * @param tailBytes     bytes at the ends of the class's current spans too small for another object
 */
public record SizeClassStats(int size, long spans, long allocations, long frees, long roundingBytes,
                             long tailBytes) {
    /**
     * Objects allocated and not yet freed.
     *
     * @return {@code allocations - frees}
     */
    public long liveObjects() {
        return allocations - frees;
    }
}
