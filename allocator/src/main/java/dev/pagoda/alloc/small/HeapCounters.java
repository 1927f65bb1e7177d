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
 * A {@code Heap}'s statistics: span counts kept with atomics on the slow paths, per-class allocation counters kept
 * unsynchronised in each span by its owner (the fast path bumps a field of the span it holds anyway, and two
 * threads never write one span's counters at once), remote frees with an atomic per class, and the counters of
 * spans that went back to the page heap. {@link #stats} adds them up.
 *
 * <p>A span's counters move from the live set to the totals of removed spans under {@link #lock}, and
 * {@link #stats} adds them up under it, so a span being removed is counted exactly once. A live span's counters are
 * read without its owner's cooperation: they are exact for every operation that completed before the call, and
 * may or may not include those racing with it. {@link #lock} is a leaf: nothing else is taken while it is held,
 * and it never waits for a cache.
 */
final class HeapCounters {
    private final long pageSize;
    private final AtomicLong spans = new AtomicLong();
    private final AtomicLong spanBytes = new AtomicLong();
    /** Spans per size class. */
    private final AtomicLongArray classSpans = new AtomicLongArray(SizeClasses.COUNT);
    /** Frees made by threads that do not own the span, per class. */
    private final AtomicLongArray remoteFrees = new AtomicLongArray(SizeClasses.COUNT);
    /** Counters of spans given back to the page heap, per class: allocations, owner frees, rounding bytes. */
    private final long[] goneAllocs = new long[SizeClasses.COUNT];
    private final long[] goneFrees = new long[SizeClasses.COUNT];
    private final long[] goneRounding = new long[SizeClasses.COUNT];
    /** Every span that exists. */
    private final Set<Span> liveSpans = ConcurrentHashMap.newKeySet();
    /** Makes a removal (live set to gone totals) atomic for {@link #stats}; guards the gone totals; a leaf lock. */
    private final ReentrantLock lock = new ReentrantLock();

    HeapCounters(final long pageSize) {
        this.pageSize = pageSize;
    }

    void spanAdded(final Span s) {
        liveSpans.add(s);
        spans.incrementAndGet();
        classSpans.incrementAndGet(s.sizeClass);
        spanBytes.addAndGet(s.bytes);
    }

    /** Counts span {@code s} gone; its owner, if any, has let go of it (its counters are final). */
    void spanRemoved(final Span s) {
        lock.lock();
        try {
            if (!liveSpans.remove(s)) {
                return;
            }
            final int c = s.sizeClass;
            goneAllocs[c] += s.allocs;
            goneFrees[c] += s.frees;
            goneRounding[c] += s.allocs * s.size - s.requested;
        } finally {
            lock.unlock();
        }
        spans.decrementAndGet();
        classSpans.decrementAndGet(s.sizeClass);
        spanBytes.addAndGet(-s.bytes);
    }

    void remoteFree(final int sizeClass) {
        remoteFrees.getAndIncrement(sizeClass);
    }

    /** The heap's statistics over the page heap's {@code pages}, with {@code spanReleased} bytes released inside spans. */
    HeapStats stats(final PageHeapStats pages, final long limit, final long spanReleased) {
        final long[] allocs = new long[SizeClasses.COUNT];
        final long[] frees = new long[SizeClasses.COUNT];
        final long[] rounding = new long[SizeClasses.COUNT];
        lock.lock();
        try {
            System.arraycopy(goneAllocs, 0, allocs, 0, allocs.length);
            System.arraycopy(goneFrees, 0, frees, 0, frees.length);
            System.arraycopy(goneRounding, 0, rounding, 0, rounding.length);
            for (final Span s : liveSpans) {
                final long n = s.allocs;
                allocs[s.sizeClass] += n;
                frees[s.sizeClass] += s.frees;
                rounding[s.sizeClass] += n * s.size - s.requested;
            }
        } finally {
            lock.unlock();
        }
        final List<SizeClassStats> classes = new ArrayList<>(SizeClasses.COUNT);
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            final int size = SizeClasses.size(c);
            final long spanBytesOfClass = SizeClasses.spanPages(c) * pageSize;
            final long n = classSpans.get(c);
            classes.add(new SizeClassStats(size, n, allocs[c], frees[c] + remoteFrees.get(c), rounding[c],
                    n * (spanBytesOfClass - spanBytesOfClass / size * size)));
        }
        return new HeapStats(pages, spans.get(), spanBytes.get(), spanReleased, limit, List.copyOf(classes));
    }
}
