package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.pagealloc.PageCache;
import dev.pagoda.os.ThreadSlot;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The per-thread {@link PageCache}s of one heap: created on a platform thread's first small allocation,
 * flushed back by a destructor when the thread ends ({@link ThreadSlot}), and reachable all together for
 * {@code releaseToOs}, statistics and invariant checks.
 *
 * <p><b>Lock order</b>, for every lock of a {@code PageHeap} that may be held while another is taken:
 * <ol>
 *   <li>a {@code Heap}'s shard lock, held by a virtual thread while it allocates small objects from a shard of
 *   span caches (virtual threads have no page cache: below it they take only the grow lock and the heap lock);
 *   and the {@code Scavenger}'s monitor, held through a step, whose generation hook may free empty spans;</li>
 *   <li>{@link #registry}, held only by the whole-heap views ({@link #withAllLocked}) and, alone, by a thread
 *   admitting its new cache;</li>
 *   <li>the caches' {@link PageCache#lock}s ({@code CacheLock}, not reentrant), in ascending {@link PageCache#id}
 *   order. An owner thread holds only its own; a flush holds only the cache it flushes; only {@link #withAllLocked}
 *   holds several, taken in a loop in id order and released in a {@code finally} loop, so its stack depth does not
 *   grow with the number of caches;</li>
 *   <li>the heap's grow lock ({@link HeapGrowth}), taken by a cache's owner that refills it while the heap grows
 *   (the whole-heap views never take it);</li>
 *   <li>the heap lock, which is never held while any of the above is taken.</li>
 * </ol>
 * Two whole-heap views therefore lock caches in the same order, whatever the order in which threads came and
 * went, and a cache's owner (its lock, then the heap lock) never waits for a view that waits for it. The memory
 * limit's reclaimers ({@link MemoryPressure}) run with none of these held, from the public allocation methods, and
 * the monitor that lets one round run at a time is a leaf taken with none of them held.
 *
 * <p>A cache is admitted to {@link #live} under {@link #registry}, before it is used, and leaves it only once it
 * has been flushed; a view holds {@link #registry} from its snapshot of {@link #live} to its end, so no cache it
 * did not lock can hold pages meanwhile.
 */
final class PageCaches {
    private final ThreadSlot<PageCache> slot;
    /** Serialises admission of new caches with the whole-heap views (first in the lock order). */
    private final ReentrantLock registry = new ReentrantLock();
    /** Caches not yet flushed for good, by id: iteration is in lock order. */
    private final ConcurrentSkipListMap<Long, PageCache> live = new ConcurrentSkipListMap<>();
    /** The next cache's id; guarded by {@link #registry}. */
    private long nextId;
    private final Consumer<PageCache> flush;

    PageCaches(final boolean releasedReadsZero, final Consumer<PageCache> flush) {
        this.flush = flush;
        this.slot = ThreadSlot.create("pagoda-page-cache", () -> admit(new PageCache(releasedReadsZero)), cache -> {
            // Flush before leaving the live set: a concurrent stats() or checkInvariants() must never see the
            // cache's pages neither in a live cache nor back in the allocator.
            flushLocked(cache);
            live.remove(cache.id);
        });
    }

    private PageCache admit(final PageCache cache) {
        registry.lock();
        try {
            cache.id = nextId++;
            live.put(cache.id, cache);
        } finally {
            registry.unlock();
        }
        return cache;
    }

    /** The calling thread's cache, created on first use; null for virtual threads, which get none. */
    PageCache mine() {
        return Thread.currentThread().isVirtual() ? null : slot.get();
    }

    /** The calling thread's cache if it has one. */
    PageCache mineIfPresent() {
        return Thread.currentThread().isVirtual() ? null : slot.getIfPresent();
    }

    /** Flushes every live cache back to the heap, one at a time. */
    void flushAll() {
        for (final PageCache cache : live.values()) {
            flushLocked(cache);
        }
    }

    private void flushLocked(final PageCache cache) {
        cache.lock.lock();
        try {
            flush.accept(cache);
        } finally {
            cache.lock.unlock();
        }
    }

    /**
     * Runs {@code body} with {@link #registry} and every live cache's lock held, passing the caches in id order. The
     * caller may take the heap lock inside {@code body}.
     */
    <T> T withAllLocked(final Function<List<PageCache>, T> body) {
        registry.lock();
        try {
            final PageCache[] held = live.values().toArray(new PageCache[0]);
            int locked = 0;
            try {
                while (locked < held.length) {
                    held[locked].lock.lock();
                    locked++;
                }
                return body.apply(Arrays.asList(held));
            } finally {
                while (locked > 0) {
                    held[--locked].lock.unlock();
                }
            }
        } finally {
            registry.unlock();
        }
    }

    /** Destroys every cache (flushing each); the slot refuses further use. */
    void close() {
        slot.close();
    }
}
