package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Giving pages back to the OS and keeping Ready memory under the heap's hard limit: the part of a
 * {@link PageHeap} that the scavenger will build on. Every release follows Go's {@code scavengeOne}: take a run
 * of free resident pages out of the page allocator under the heap lock, release it with {@code unused} with no
 * lock held, and put it back marked released, so no allocation ever waits for an {@code madvise}.
 */
final class Releaser {
    private final ReentrantLock lock;
    private final PageAlloc pages;
    private final Arenas arenas;
    private final OsMemory os;
    private final int pageShift;
    private volatile long memoryLimit;

    Releaser(final ReentrantLock lock, final PageAlloc pages, final Arenas arenas, final OsMemory os,
             final int pageShift, final long memoryLimit) {
        this.lock = lock;
        this.pages = pages;
        this.arenas = arenas;
        this.os = os;
        this.pageShift = pageShift;
        this.memoryLimit = memoryLimit;
    }

    /** Releases the allocator's free resident pages, leaving the caches alone; returns the bytes released. */
    long releaseFree() {
        long releasedBytes = 0;
        long cursor = 0;
        while (true) {
            final long page;
            final long npages;
            lock.lock();
            try {
                page = pages.findReleasable(cursor);
                if (page < 0) {
                    break;
                }
                npages = pages.releasableRun(page, PageAlloc.CHUNK_PAGES);
                pages.allocRange(page, npages);
            } finally {
                lock.unlock();
            }
            boolean done = false;
            try {
                os.unused(arenas.addressOf(page), npages << pageShift);
                done = true;
            } finally {
                final boolean released = done;
                Locks.locked(lock, () -> pages.freeRange(page, npages, released));
            }
            releasedBytes += npages << pageShift;
            cursor = page + npages;
        }
        return releasedBytes;
    }

    /**
     * Makes sure {@code bytes} more Ready memory stay within the memory limit: if not, releases free resident
     * pages first (not those held by caches), and fails only if that is not enough. The check and the
     * allocation are not one atomic step, so threads allocating at once may overshoot by a request each.
     */
    void reserveReady(final long bytes) {
        final long limit = memoryLimit;
        if (limit == Long.MAX_VALUE) {
            return;
        }
        long ready = os.stats().readyBytes();
        if (bytes <= limit - ready) {
            return;
        }
        releaseFree();
        ready = os.stats().readyBytes();
        if (bytes > limit - ready) {
            throw new PagodaOutOfMemoryError("memory limit (Ready bytes)", bytes, limit, ready, null);
        }
    }

    long memoryLimit() {
        return memoryLimit;
    }

    void memoryLimit(final long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memoryLimit must be positive: memoryLimit=" + bytes);
        }
        this.memoryLimit = bytes;
    }

}
