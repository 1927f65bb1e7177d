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
    /** Null for a platform thread's own cache; held while a virtual thread uses a shard. */
    final ReentrantLock lock;
    /**
     * Set when the cache was handed back (its thread ended, its handle closed, or the heap closed). Plain: a handle
     * reads it on its own thread, where a virtual thread's handle close sets it; a close by the heap, from another
     * thread, is seen through the heap's own closed flag, which the handle's calls read first.
     */
    boolean retired;
    /** The span of this cache's last allocation: a handle's free of it skips the span table. Owner only. */
    Span last;

    /** The thread that made the cache and uses it; null for a shard. */
    final Thread thread;

    ThreadCache(final boolean shard) {
        this.lock = shard ? new ReentrantLock() : null;
        this.thread = shard ? null : Thread.currentThread();
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
