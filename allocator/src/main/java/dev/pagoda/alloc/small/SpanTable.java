package dev.pagoda.alloc.small;

import dev.pagoda.alloc.pageheap.Arenas;
import dev.pagoda.alloc.pageheap.PageHeapEngine;
import java.util.Arrays;

/**
 * Which span holds an address: every arena keeps one {@link Span} reference per page ({@code Arena.owners}),
 * set for all pages of a span while it exists, so the free path finds an object's span with one lock-free arena
 * lookup and one array load (Go's {@code spanOf}). Page runs and foreign addresses find null.
 */
final class SpanTable {
    private final PageHeapEngine pages;
    private final HeapCounters counters;
    private final long pageSize;
    private final int pageShift;

    SpanTable(final PageHeapEngine pages, final HeapCounters counters) {
        this.pages = pages;
        this.counters = counters;
        this.pageSize = pages.pageSize();
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
    }

    /** Records {@code s} as the span of its {@code npages} pages from {@code base}. */
    void index(final long base, final long npages, final Span s) {
        final Arenas.Arena arena = pages.arenaOf(base);
        final int first = (int) ((base - arena.base) >>> pageShift);
        Arrays.fill(arena.owners, first, first + (int) npages, s);
    }

    /** Forgets span {@code s} (its pages are about to go back to the page heap) and counts it gone. */
    void unindex(final Span s) {
        final Arenas.Arena arena = pages.arenaOf(s.base);
        final int first = (int) ((s.base - arena.base) >>> pageShift);
        Arrays.fill(arena.owners, first, first + (int) s.pages, null);
        counters.spanRemoved(s);
    }

    /** The span holding {@code address}, or null for page runs and addresses of no arena of this heap. */
    Span of(final long address) {
        final Arenas.Arena arena = pages.arenaOf(address);
        return arena == null ? null : (Span) arena.owners[(int) ((address - arena.base) >>> pageShift)];
    }
}
