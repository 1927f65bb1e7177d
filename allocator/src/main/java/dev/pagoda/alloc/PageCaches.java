package dev.pagoda.alloc;

import dev.pagoda.os.ThreadSlot;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The per-thread {@link PageCache}s of one heap: created on a platform thread's first small allocation,
 * flushed back by a destructor when the thread ends ({@link ThreadSlot}), and reachable all together for
 * {@code releaseToOs}, statistics and invariant checks.
 *
 * <p>Lock order: a cache's monitor, then the heap lock. The owner thread takes its cache's monitor on every
 * use (uncontended, so cheap); other threads take it only to flush or inspect.
 */
final class PageCaches {
    private final ThreadSlot<PageCache> slot;
    private final Set<PageCache> live = ConcurrentHashMap.newKeySet();
    private final Consumer<PageCache> flush;

    PageCaches(final boolean releasedReadsZero, final Consumer<PageCache> flush) {
        this.flush = flush;
        this.slot = ThreadSlot.create("pagoda-page-cache", () -> {
            final PageCache cache = new PageCache(releasedReadsZero);
            live.add(cache);
            return cache;
        }, cache -> {
            // Flush before leaving the live set: a concurrent stats() or checkInvariants() must never see the
            // cache's pages neither in a live cache nor back in the allocator.
            flushLocked(cache);
            live.remove(cache);
        });
    }

    /** The calling thread's cache, created on first use; null for virtual threads, which get none. */
    PageCache mine() {
        return Thread.currentThread().isVirtual() ? null : slot.get();
    }

    /** The calling thread's cache if it has one. */
    PageCache mineIfPresent() {
        return Thread.currentThread().isVirtual() ? null : slot.getIfPresent();
    }

    /** Flushes every live cache back to the heap. */
    void flushAll() {
        for (final PageCache cache : live) {
            flushLocked(cache);
        }
    }

    private void flushLocked(final PageCache cache) {
        synchronized (cache) {
            flush.accept(cache);
        }
    }

    /** Runs {@code body} with every live cache's monitor held, passing the caches. */
    <T> T withAllLocked(final java.util.function.Function<List<PageCache>, T> body) {
        final List<PageCache> held = new ArrayList<>(live);
        return lockFrom(held, 0, () -> body.apply(held));
    }

    private static <T> T lockFrom(final List<PageCache> held, final int i, final Supplier<T> body) {
        if (i == held.size()) {
            return body.get();
        }
        synchronized (held.get(i)) {
            return lockFrom(held, i + 1, body);
        }
    }

    /** Destroys every cache (flushing each); the slot refuses further use. */
    void close() {
        slot.close();
    }
}
