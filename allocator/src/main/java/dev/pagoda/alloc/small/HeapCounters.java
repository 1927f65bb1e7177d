package dev.pagoda.alloc.small;

import dev.pagoda.alloc.HeapStats;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.SizeClassStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@code Heap}'s statistics: span counts kept with atomics on the slow paths, per-class allocation counters
 * kept unsynchronised in each thread's cache (the fast path must not share a cache line), and the counters of
 * caches whose threads ended. {@link #stats} adds them up.
 *
 * <p>A cache's counters move from the live caches to the retired totals under {@link #lock}, and {@link #stats}
 * adds them up under it, so a cache being retired is counted exactly once: the figures of threads that have ended
 * are exact at every moment, whatever the reaper thread is doing. {@link #lock} is a leaf: nothing else is taken
 * while it is held, and it never waits for a cache.
 */
final class HeapCounters {
    private final long pageSize;
    private final AtomicLong spans = new AtomicLong();
    private final AtomicLong spanBytes = new AtomicLong();
    /** Spans per size class. */
    private final AtomicLongArray classSpans = new AtomicLongArray(SizeClasses.COUNT);
    /** Frees made by threads that do not own the span, per class. */
    private final AtomicLongArray remoteFrees = new AtomicLongArray(SizeClasses.COUNT);
    /** Counters of caches whose threads ended, per class: allocations, frees, rounding bytes. */
    private final AtomicLongArray retiredAllocs = new AtomicLongArray(SizeClasses.COUNT);
    private final AtomicLongArray retiredFrees = new AtomicLongArray(SizeClasses.COUNT);
    private final AtomicLongArray retiredRounding = new AtomicLongArray(SizeClasses.COUNT);
    private final Set<ThreadCache> liveCaches = ConcurrentHashMap.newKeySet();
    /** Makes a retirement (live set to retired totals) atomic for {@link #stats}; a leaf lock. */
    private final ReentrantLock lock = new ReentrantLock();

    HeapCounters(final long pageSize) {
        this.pageSize = pageSize;
    }

    /** Counts a cache whose counters {@link #stats} must read. */
    ThreadCache live(final ThreadCache cache) {
        liveCaches.add(cache);
        return cache;
    }

    /** Folds the counters of a cache whose thread ended into the retired totals. */
    void retire(final ThreadCache cache) {
        lock.lock();
        try {
            liveCaches.remove(cache);
            for (int c = 0; c < SizeClasses.COUNT; c++) {
                retiredAllocs.addAndGet(c, cache.allocs[c]);
                retiredFrees.addAndGet(c, cache.frees[c]);
                retiredRounding.addAndGet(c, cache.rounding[c]);
            }
        } finally {
            lock.unlock();
        }
    }

    void spanAdded(final int sizeClass, final long npages) {
        spans.incrementAndGet();
        classSpans.incrementAndGet(sizeClass);
        spanBytes.addAndGet(npages * pageSize);
    }

    void spanRemoved(final int sizeClass, final long npages) {
        spans.decrementAndGet();
        classSpans.decrementAndGet(sizeClass);
        spanBytes.addAndGet(-npages * pageSize);
    }

    void remoteFree(final int sizeClass) {
        remoteFrees.getAndIncrement(sizeClass);
    }

    /** The heap's statistics over the page heap's {@code pages}. */
    HeapStats stats(final PageHeapStats pages, final long limit) {
        final List<SizeClassStats> classes = new ArrayList<>(SizeClasses.COUNT);
        lock.lock();
        try {
            addUp(classes);
        } finally {
            lock.unlock();
        }
        return new HeapStats(pages, spans.get(), spanBytes.get(), limit, List.copyOf(classes));
    }

    /** The per-class figures, live and retired caches together; called with {@link #lock} held. */
    private void addUp(final List<SizeClassStats> classes) {
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            long allocs = retiredAllocs.get(c);
            long frees = retiredFrees.get(c) + remoteFrees.get(c);
            long rounding = retiredRounding.get(c);
            for (final ThreadCache cache : liveCaches) {
                allocs += cache.allocs[c];
                frees += cache.frees[c];
                rounding += cache.rounding[c];
            }
            final int size = SizeClasses.size(c);
            final long spanBytesOfClass = SizeClasses.spanPages(c) * pageSize;
            final long n = classSpans.get(c);
            classes.add(new SizeClassStats(size, n, allocs, frees, rounding,
                    n * (spanBytesOfClass - spanBytesOfClass / size * size)));
        }
    }
}
