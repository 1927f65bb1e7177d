package dev.pagoda.alloc;

/**
 * Frees memory of a heap when an allocation would pass the heap's memory limit: eviction before failure, for the
 * caches and pools that live in the heap. Registered with {@link Heap#onMemoryPressure(Reclaimer)} or
 * {@link PageHeap#onMemoryPressure(Reclaimer)}.
 *
 * {@snippet :
 * try (Reclaimer.Registration r = heap.onMemoryPressure(wanted -> {
 *     long freed = 0;
 *     for (Entry e; freed < wanted && (e = lru.pollOldest()) != null; ) {   // the cache's own eviction order
 *         freed += heap.usableSize(e.address());
 *         heap.free(e.address());                                         // back to the heap it came from
 *     }
 *     return freed;
 * })) {
 *     // ... the cache runs; allocations that would pass the limit evict first, and fail only if that is not enough
 * }
 * }
 *
 * <p><b>When it runs.</b> An allocation that needs more Ready memory than the limit allows first releases the heap's
 * free pages (and takes them back from every thread's page cache); if that is not enough, the heap asks its
 * reclaimers, in the order they were registered, until they report at least the bytes it lacks, then retries the
 * allocation. If the retry fails, the heap asks again for twice as much, at most 16 rounds in all for one allocation,
 * and stops as soon as a round frees nothing: the allocation then fails with {@link PagodaOutOfMemoryError}, carrying
 * as suppressed exceptions whatever the reclaimers threw. Other exhaustion (the address-space budget, the OS refusing
 * memory) and requests larger than the limit itself fail at once, without asking.
 *
 * <p><b>What the call may do.</b> It runs on the allocating thread, in the middle of its allocation, with no lock
 * of the heap held, so it may free (any thread's) memory of the heap, and allocate: an allocation made while a
 * reclaimer runs works as usual but never asks reclaimers itself (of any heap), nor waits for them; if it needs
 * memory the limit does not allow, it fails at once with {@link PagodaOutOfMemoryError}. It must not free what the
 * allocating thread is still using (for instance the entry it is reallocating): pin such entries, or take them out
 * of the eviction order first. The allocating thread holds whatever locks of yours it held when it called the heap,
 * and other threads that meet the limit meanwhile wait for this round to end: so a reclaimer must not wait for a
 * lock that an allocating thread may hold, nor for another thread that allocates from the heap (take locks with
 * {@code tryLock} and skip what is busy).
 *
 * <p><b>Threads.</b> One round runs at a time per heap: a thread that meets the limit while another thread's round
 * runs waits for it to end and retries before it asks itself, so concurrent allocations under pressure do not all
 * evict at once, and a reclaimer is never called by two threads at once for the same heap (it may be registered
 * with several heaps, which call it independently). Waiting is not interruptible: an interrupt is kept for later.
 * Closing the heap wakes the waiting threads, whose allocations then fail with {@link IllegalStateException}.
 *
 * <p><b>Failures.</b> If it throws, the heap goes on with the next reclaimer and retries the allocation anyway (what
 * was freed before the exception counts); the exception is logged (to the {@link System.Logger}
 * {@code dev.pagoda.alloc}, WARNING the first time per registration, DEBUG after), counted in
 * {@link ReclaimStats#reclaimerFailures()}, and added as suppressed to the {@link PagodaOutOfMemoryError} if the
 * allocation fails in the end. A negative return counts as such a failure. A {@link VirtualMachineError} other than
 * {@link PagodaOutOfMemoryError} (a real {@link OutOfMemoryError}, a {@link StackOverflowError}) propagates out of
 * the allocation.
 */
@FunctionalInterface
public interface Reclaimer {
    /**
     * Frees memory of the heap, through the heap ({@code free}), because an allocation needs it.
     *
     * @param bytesWanted how many bytes the allocation lacks, at least 1: the amount to free at least, if possible
     * @return the bytes actually freed (usable sizes, say), at least 0; 0 when there is nothing left to free
     */
    long reclaim(long bytesWanted);

    /**
     * A reclaimer's registration with a heap: {@link #close()} unregisters it.
     */
    interface Registration extends AutoCloseable {
        /**
         * Unregisters the reclaimer: the heap stops calling it (a round that already started may still call it
         * once). Idempotent; also harmless after the heap was closed.
         */
        @Override
        void close();
    }
}
