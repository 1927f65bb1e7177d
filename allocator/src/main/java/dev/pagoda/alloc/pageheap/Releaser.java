package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.PagodaOutOfMemoryError;
import dev.pagoda.alloc.events.HeapEvents;
import dev.pagoda.alloc.pagealloc.PageAlloc;
import dev.pagoda.alloc.pagealloc.ScavengeIndex;
import dev.pagoda.os.OsMemory;

import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Giving pages back to the OS and keeping Ready memory under the heap's hard limit. Every release follows Go's
 * {@code scavengeOne}: find the highest run of free resident pages ({@link ScavengeIndex}), take it out of the
 * page allocator under the heap lock, release it with {@code unused} with no lock held, and put it back marked
 * released, so no allocation ever waits for an {@code madvise}. The {@code Scavenger} drives the background
 * releases; this class does the forced ones ({@code releaseToOs}, the memory limit) and counts both kinds.
 */
public final class Releaser {
    /** The name of the hard limit in a {@link PagodaOutOfMemoryError}: what {@link MemoryPressure} relieves. */
    static final String MEMORY_LIMIT = "memory limit (Ready bytes)";

    private final ReentrantLock lock;
    private final PageAlloc pages;
    private final Arenas arenas;
    private final OsMemory os;
    private final String name;
    private final int pageShift;
    private final int blockPages;
    private volatile boolean keepHugePages;
    private volatile long memoryLimit;
    private final LongAdder releasedOnDemand = new LongAdder();
    private final LongAdder releasedBackground = new LongAdder();
    /** Runs taken out of the allocator and being released right now, packed; guarded by the heap lock. */
    private final java.util.List<Long> inFlight = new java.util.ArrayList<>(2);
    private final CloseGate gate;
    /** Returns every thread's page cache to the allocator; a no-op for heaps without caches. */
    private volatile Runnable flushCaches = () -> { };

    Releaser(final ReentrantLock lock, final PageAlloc pages, final Arenas arenas, final OsMemory os,
             final String name, final int pageShift, final long memoryLimit, final CloseGate gate) {
        this.gate = gate;
        this.lock = lock;
        this.pages = pages;
        this.arenas = arenas;
        this.os = os;
        this.name = name;
        this.pageShift = pageShift;
        this.memoryLimit = memoryLimit;
        // Huge pages above Go's 4 MiB cap count as none (HugePageReport): blocks of half a chunk then.
        final long hugeBytes = os.hugePageSize() <= HugePages.MAX_HUGE_PAGE_SIZE ? os.hugePageSize() : 0;
        final long huge = hugeBytes >>> pageShift;
        this.blockPages = (int) Math.max(64, Math.min(PageAlloc.CHUNK_PAGES,
                huge > 0 && Long.bitCount(huge) == 1 ? huge : PageAlloc.CHUNK_PAGES / 2));
    }

    /** The pages of a release block: a huge page, or a quarter chunk without them. */
    public int blockPages() {
        return blockPages;
    }

    /** Makes the background scavenger leave blocks at least half in use alone (huge pages in play). */
    void keepHugePages(final boolean keep) {
        this.keepHugePages = keep;
    }

    /**
     * Releases the highest run of free resident pages below page {@code below}, at most {@code maxPages} long.
     *
     * @return the run released, packed as by {@link ScavengeIndex#find}, or -1 if none qualifies
     */
    public long releaseOne(final long below, final long maxPages, final boolean force) {
        gate.enter();
        try {
            return releaseOneInside(below, maxPages, force);
        } finally {
            gate.exit();
        }
    }

    private long releaseOneInside(final long below, final long maxPages, final boolean force) {
        final long run;
        lock.lock();
        try {
            run = pages.scavengeIndex.find(pages, below, maxPages, blockPages, force, keepHugePages);
            if (run < 0) {
                return -1;
            }
            pages.takeForRelease(ScavengeIndex.first(run), ScavengeIndex.length(run));
            inFlight.add(run);
        } finally {
            lock.unlock();
        }
        final long first = ScavengeIndex.first(run);
        final int npages = ScavengeIndex.length(run);
        boolean done = false;
        try {
            os.unused(arenas.addressOf(first), (long) npages << pageShift);
            done = true;
        } finally {
            final boolean released = done;
            Locks.locked(lock, () -> {
                inFlight.remove((Long) run);
                pages.returnFromRelease(first, npages, released);
            });
        }
        (force ? releasedOnDemand : releasedBackground).add((long) npages << pageShift);
        return run;
    }

    /** Releases the allocator's free resident pages, highest first, leaving the caches alone; returns bytes. */
    long releaseFree() {
        return releaseForced(Long.MAX_VALUE);
    }

    /** Releases free resident pages, highest first, until {@code wanted} bytes are released or none is left. */
    private long releaseForced(final long wanted) {
        long releasedBytes = 0;
        long below = Long.MAX_VALUE;
        while (releasedBytes < wanted) {
            final long maxPages = Math.min(PageAlloc.CHUNK_PAGES, (wanted - releasedBytes - 1 >>> pageShift) + 1);
            final long run = releaseOne(below, maxPages, true);
            if (run < 0) {
                break;
            }
            releasedBytes += (long) ScavengeIndex.length(run) << pageShift;
            below = ScavengeIndex.first(run);
        }
        return releasedBytes;
    }

    /** Sets how the limit's path empties the page caches ({@link #reserveReady}). */
    void flushCaches(final Runnable flush) {
        this.flushCaches = flush;
    }

    /**
     * Makes sure {@code bytes} more Ready memory stay within the memory limit: if not, releases free resident
     * pages first; if that is not enough and {@code mayFlushCaches}, returns every thread's page cache to the
     * allocator and releases again; and fails only if that is still not enough. So an allocation that fits under
     * the limit succeeds while other threads' caches hold free pages. The check and the allocation are not one
     * atomic step, so threads allocating at once may overshoot by a request each.
     *
     * @param mayFlushCaches false when the caller holds a page cache's lock: flushing takes every cache's lock,
     *                       and a thread holding one must not wait for another (no lock-order cycle)
     */
    void reserveReady(final long bytes, final boolean mayFlushCaches) {
        final long limit = memoryLimit;
        if (limit == Long.MAX_VALUE) {
            return;
        }
        long ready = os.stats().readyBytes();
        if (bytes <= limit - ready) {
            return;
        }
        long releasedNow = releaseForced(bytes - (limit - ready));
        ready = os.stats().readyBytes();
        if (bytes > limit - ready && mayFlushCaches) {
            flushCaches.run();
            releasedNow += releaseForced(bytes - (limit - ready));
            ready = os.stats().readyBytes();
        }
        final boolean fits = bytes <= limit - ready;
        HeapEvents.limitReached(name, bytes, limit, ready, releasedNow, !fits);
        if (!fits) {
            throw new PagodaOutOfMemoryError(MEMORY_LIMIT, bytes, limit, ready, null);
        }
    }

    /**
     * The runs being released right now, packed as by {@link ScavengeIndex#find}: allocated in the page
     * allocator, neither live nor cached, Ready or already Prepared. Call with the heap lock held.
     */
    long[] inFlight() {
        final long[] out = new long[inFlight.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = inFlight.get(i);
        }
        return out;
    }

    /** Bytes released by {@code releaseToOs} and by allocations at the memory limit. */
    public long releasedOnDemand() {
        return releasedOnDemand.sum();
    }

    /** Bytes released by the background scavenger. */
    public long releasedBackground() {
        return releasedBackground.sum();
    }

    public long memoryLimit() {
        return memoryLimit;
    }

    public void memoryLimit(final long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memoryLimit must be positive: memoryLimit=" + bytes);
        }
        this.memoryLimit = bytes;
    }
}
