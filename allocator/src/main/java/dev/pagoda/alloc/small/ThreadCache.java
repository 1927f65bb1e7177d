package dev.pagoda.alloc.small;

import java.util.concurrent.locks.ReentrantLock;

/**
 * One cache of spans, a current span per size class, after Go's per-P {@code mcache}. A platform thread owns
 * one outright and uses it without locks; virtual threads share a bounded set of shard caches, each used under
 * its {@link #lock}, so ten thousand virtual threads hold at most {@code shards × classes} spans between them. A
 * {@code LocalHeap} holds its thread's cache, and asks {@link #isRetired()} before using it.
 */
public final class ThreadCache {
    final Span[] current = new Span[SizeClasses.COUNT];
    /** Statistics, written by the cache's user only: objects allocated, freed by this cache, bytes lost to rounding. */
    final long[] allocs = new long[SizeClasses.COUNT];
    final long[] frees = new long[SizeClasses.COUNT];
    final long[] rounding = new long[SizeClasses.COUNT];
    /** Null for a platform thread's own cache; held while a virtual thread uses a shard. */
    final ReentrantLock lock;
    /** Set when the cache was handed back (its thread ended, its handle closed, or the heap closed). */
    volatile boolean retired;

    ThreadCache(final boolean shard) {
        this.lock = shard ? new ReentrantLock() : null;
    }

    /**
     * Whether the cache was handed back to the heap: a handle holding it must not use it any more.
     *
     * @return true once retired
     */
    public boolean isRetired() {
        return retired;
    }
}
