package dev.pagoda.alloc.small;

import dev.pagoda.alloc.pageheap.InsideReleases;
import dev.pagoda.alloc.pageheap.PageHeapEngine;
import dev.pagoda.os.OsMemoryException;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The spans no cache holds, and their memory: detaching a span onto its class's partial list, giving empty spans back
 * to the page heap, and giving back the OS pages of partly used spans on which no object lives (made Ready again when
 * an object on them is handed out). The design is in the package essay, "Memory inside spans". Thread-safe: a span is
 * changed only by the thread that has claimed it.
 */
final class SpanPages {
    private final PageHeapEngine pages;
    private final InsideReleases inside;
    private final SpanTable spans;
    private final List<SpanQueue> partial;
    /** Debug mode keeps every span whole: its poison must stay readable. */
    private final boolean keepWhole;
    /** Passes of {@link #reclaim}, the clock of {@link Span#idleSince}. */
    private final AtomicInteger passes = new AtomicInteger(1);

    SpanPages(final PageHeapEngine pages, final SpanTable spans, final List<SpanQueue> partial,
              final boolean keepWhole) {
        this.pages = pages;
        this.inside = pages.insideReleases();
        this.spans = spans;
        this.partial = partial;
        this.keepWhole = keepWhole;
    }

    /** Lets go of a span; queues it if it has free objects so that another cache can take it. */
    void detach(final Span s) {
        s.owner(null);
        if ((s.localFree() > 0 || s.hasRemote()) && s.markQueued()) {
            partial.get(s.sizeClass).add(s);
        }
    }

    /**
     * One pass over the partial lists ({@code HeapEngine.reclaimSpans}): empty spans go back to the page heap, and as
     * {@code mode} says, the free OS pages of the others go back to the OS. {@code perClass} bounds the spans looked
     * at per class (the queues rotate, so repeated calls visit them all), so an idle heap with many partial spans
     * costs the scavenger little at each generation.
     *
     * @return the bytes released inside spans
     */
    long reclaim(final int perClass, final HeapEngine.Inside mode) {
        final int pass = passes.getAndIncrement();
        final Object reclaimer = new Object();
        long releasedInside = 0;
        for (final SpanQueue q : partial) {
            final int n = perClass == Integer.MAX_VALUE ? q.size() : perClass;
            Span first = null;
            for (int k = 0; k < n; k++) {
                final Span s = q.poll();
                if (s == null) {
                    break;
                }
                s.unmarkQueued();
                if (s.claim(reclaimer)) {
                    boolean freed = false;
                    try {
                        s.collect();
                        if (s.live() == 0) {
                            freeSpan(s);
                            freed = true;
                            continue;
                        }
                        if (s.idleSince == 0) {
                            s.idleSince = pass;
                        }
                        if (!keepWhole && (mode == HeapEngine.Inside.ALL || mode == HeapEngine.Inside.IDLE
                                && s.idleSince < pass && s.live() * 2 <= s.objects)) {
                            releasedInside += releaseInside(s);
                        }
                    } catch (final IllegalStateException closing) {
                        return releasedInside; // the heap closed meanwhile: its memory is going
                    } finally {
                        if (!freed) {
                            detach(s);
                        }
                    }
                }
                if (s == first) {
                    break; // came round the whole queue
                }
                first = first == null ? s : first;
            }
        }
        return releasedInside;
    }

    /** Gives an empty span's pages back to the page heap, its released units made Ready first (books only). */
    void freeSpan(final Span s) {
        if (s.released != 0) {
            readyUnits(s, s.released, false);
        }
        spans.unindex(s);
        pages.freeRun(s.base);
    }

    /**
     * Makes the released units under object {@code i} of {@code span}, just taken by its owner, Ready again, within
     * the memory limit; if that fails, the object goes back and the failure is the caller's.
     */
    void readyObject(final Span span, final int i) {
        final long units = span.releasedUnitsOf(i);
        if (units == 0) {
            return;
        }
        try {
            readyUnits(span, units, true);
        } catch (final RuntimeException e) {
            span.freeLocal(i);
            span.allocs--; // the object was never handed out
            span.frees--;
            throw e;
        }
    }

    /**
     * Gives back the span's free units, each run of adjacent ones in one call; returns the bytes. The caller has
     * claimed the span. An OS refusal leaves the rest Ready, as they were.
     */
    private long releaseInside(final Span s) {
        long done = 0;
        for (long m = s.releasableUnits(); m != 0; ) {
            final long run = firstRun(m);
            final long start = (long) Long.numberOfTrailingZeros(run) << s.unitShift;
            final long length = runEnd(s, run) - start;
            try {
                inside.release(s.base + start, length);
            } catch (final OsMemoryException refused) {
                return done;
            }
            s.markReleased(run);
            done += length;
            m &= ~run;
        }
        return done;
    }

    /** Makes the released {@code units} of the span Ready again, each run of adjacent ones in one call. */
    private void readyUnits(final Span s, final long units, final boolean withinLimit) {
        for (long m = units; m != 0; ) {
            final long run = firstRun(m);
            final long start = (long) Long.numberOfTrailingZeros(run) << s.unitShift;
            inside.ready(s.base + start, runEnd(s, run) - start, withinLimit);
            s.released &= ~run;
            m &= ~run;
        }
    }

    /** The lowest run of adjacent set bits of {@code m} (not 0), as a mask. */
    private static long firstRun(final long m) {
        final int from = Long.numberOfTrailingZeros(m);
        final int to = from + Long.numberOfTrailingZeros(~(m >>> from)); // one past the run's last unit
        return to == 64 ? -1L << from : (1L << to) - (1L << from);
    }

    /** The span offset just past the run of units {@code run}. */
    private static long runEnd(final Span s, final long run) {
        final int to = 64 - Long.numberOfLeadingZeros(run);
        return Math.min(s.bytes, (long) to << s.unitShift);
    }
}
