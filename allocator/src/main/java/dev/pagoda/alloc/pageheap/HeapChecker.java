package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.ReclaimStats;
import dev.pagoda.alloc.ScavengerStats;
import dev.pagoda.alloc.pagealloc.PageAlloc;
import dev.pagoda.alloc.pagealloc.PageCache;
import dev.pagoda.alloc.pagealloc.ScavengeIndex;
import dev.pagoda.os.MemState;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryStats;

import java.util.List;

/**
 * The heap's accountant: {@code PageHeap.stats()} and the invariant checker behind
 * {@code PageHeap.checkInvariants()}, which recomputes, slowly and from first principles, what the heap's
 * counters and the OS layer's states must be, and reports the first difference. Runs with every cache's lock and
 * the heap lock held ({@link PageCaches#withAllLocked}), so no run is half allocated or half freed; what it allows
 * for are the system calls under way with no lock held: runs being released ({@link Releaser}), live runs being
 * made Ready ({@link RunAllocator#readying()}), chunks being mapped ({@link HeapGrowth#growing()}) and large runs
 * being mapped or unmapped ({@link LargeRuns#quietSince()}).
 */
final class HeapChecker {
    private final PageAlloc pages;
    private final Arenas arenas;
    private final OsMemory os;
    private final int pageShift;
    private final long pageSize;
    /** Runs being released by another thread (taken out of the allocator, syscall in flight), packed. */
    private final long[] inFlight;
    private final long inFlightPages;
    /** Live runs whose released pages are being made Ready, {@code [first, pages, ...]}: Prepared or Ready. */
    private final long[] readying;
    private final long readyingPages;
    /** The chunks being mapped, {@code {address, bytes}}: Reserved or Prepared, not yet grown. */
    private final long[] growing;

    /** Pages released inside allocated runs; read under the heap lock, as everything here. */
    private final InsideReleases inside;

    HeapChecker(final PageAlloc pages, final Arenas arenas, final OsMemory os, final int pageShift,
                final long[] inFlight, final long[] readying, final long[] growing, final InsideReleases inside) {
        this.pages = pages;
        this.inside = inside;
        this.inFlight = inFlight;
        long n = 0;
        for (final long run : inFlight) {
            n += ScavengeIndex.length(run);
        }
        this.inFlightPages = n;
        this.readying = readying;
        long r = 0;
        for (int i = 1; i < readying.length; i += 2) {
            r += readying[i];
        }
        this.readyingPages = r;
        this.growing = growing;
        this.arenas = arenas;
        this.os = os;
        this.pageShift = pageShift;
        this.pageSize = 1L << pageShift;
    }

    PageHeapStats stats(final List<PageCache> caches, final LargeRuns large, final ScavengerStats scavenger,
                        final ReclaimStats reclaims) {
        long cached = 0;
        for (final PageCache c : caches) {
            cached += c.pages() + c.stash.pages();
        }
        final Arenas.Arena[] all = arenas.all();
        final long arenaBytes = arenas.pagesPerArena << pageShift;
        long ungrown = 0;
        for (final Arenas.Arena a : all) {
            ungrown += arenaBytes - ((long) a.grownChunks * PageAlloc.CHUNK_PAGES << pageShift);
        }
        final OsMemoryStats s = os.stats();
        return new PageHeapStats(pageSize, all.length, all.length * arenaBytes, ungrown,
                (pages.allocatedPages() - cached - inFlightPages) << pageShift, cached << pageShift,
                (pages.freeResidentPages() + inFlightPages) << pageShift, pages.releasedPages() << pageShift, large.bytes(),
                large.count(), s.readyBytes(), s.ownedBytes(), scavenger, reclaims);
    }

    void check(final List<PageCache> caches, final LargeRuns large) {
        pages.checkInvariants();
        long cached = 0;
        for (final PageCache c : caches) {
            cached += c.pages() + c.stash.pages();
            for (int i = 0; i < c.stash.count(); i++) {
                for (int k = 0; k < c.stash.length(i); k++) {
                    if (!pages.isAllocated(c.stash.first(i) + k)) {
                        throw new IllegalStateException("a kept run's page " + (c.stash.first(i) + k)
                                + " is free in the page allocator");
                    }
                }
            }
            for (long m = c.freeMask(); m != 0; m &= m - 1) {
                if (!pages.isAllocated(c.base() + Long.numberOfTrailingZeros(m))) {
                    throw new IllegalStateException("cached page " + (c.base() + Long.numberOfTrailingZeros(m))
                            + " is free in the page allocator");
                }
            }
        }
        long live = 0;
        for (final Arenas.Arena a : arenas.all()) {
            live += checkRuns(a, caches);
            checkStates(a);
        }
        if (live != pages.allocatedPages() - cached - inFlightPages) {
            throw new IllegalStateException("live runs hold " + live + " pages but the allocator has "
                    + (pages.allocatedPages() - cached - inFlightPages) + " allocated outside caches and releases");
        }
        // The OS layer's totals include the large runs, so they are compared only across a moment when no large run
        // is being mapped or unmapped (every page of the arenas was checked above in any case). A run being released
        // is Ready until its unused() returns, then Prepared until it is put back; a live run being readied is
        // Prepared until its used() returns; chunks being mapped are Reserved until map() returns, then Prepared.
        final long quiet = large.quietSince();
        final OsMemoryStats s = os.stats();
        final long largeBytes = large.bytes();
        if (!large.quiet(quiet)) {
            return;
        }
        final long resident = (pages.allocatedPages() + pages.freeResidentPages()) << pageShift;
        final long moving = (inFlightPages + readyingPages) << pageShift;
        // Pages released inside allocated runs are Prepared; those whose release or readying is under way, either.
        final long hollow = inside.releasedBytes();
        final long turning = inside.movingBytes();
        if (s.readyBytes() > resident + largeBytes - hollow + turning
                || s.readyBytes() < resident + largeBytes - hollow - moving - turning) {
            throw new IllegalStateException("the OS layer has " + s.readyBytes() + " bytes Ready but the heap accounts "
                    + "for " + (resident + largeBytes - hollow) + " (resident pages + large runs - " + hollow
                    + " released inside runs, " + moving + " being released, " + turning + " inside runs changing)");
        }
        final long mapped = s.readyBytes() + s.preparedBytes() - resident - largeBytes - (pages.releasedPages() << pageShift);
        if (mapped != 0 && mapped != growing[1]) {
            throw new IllegalStateException("the OS layer has " + s.preparedBytes() + " bytes Prepared but "
                    + (pages.releasedPages() << pageShift) + " are released (and " + moving + " being released or "
                    + "readied, " + growing[1] + " being mapped)");
        }
    }

    /** Every live run lies in allocated pages not held by a cache, and runs do not overlap; returns their pages. */
    private long checkRuns(final Arenas.Arena a, final List<PageCache> caches) {
        long live = 0;
        long coveredTo = 0;
        for (int off = 0; off < a.runs.length - Arenas.RUNS_PAD; off++) {
            final int n = a.runs[off + Arenas.RUNS_PAD];
            if (n <= 0) {
                continue;
            }
            if (off < coveredTo) {
                throw new IllegalStateException("live run at page " + off + " of arena 0x" + Long.toHexString(a.base)
                        + " starts inside the previous run");
            }
            coveredTo = off + n;
            live += n;
            for (int i = 0; i < n; i++) {
                final long page = a.firstPage + off + i;
                if (!pages.isAllocated(page)) {
                    throw new IllegalStateException("live run at 0x" + Long.toHexString(a.base + ((long) off << pageShift))
                            + " has a free page " + i);
                }
                for (final PageCache c : caches) {
                    if (page >= c.base() && page < c.base() + Long.SIZE && (c.freeMask() >>> (page - c.base()) & 1) != 0) {
                        throw new IllegalStateException("page " + page + " is both in a live run and in a cache");
                    }
                    for (int s = 0; s < c.stash.count(); s++) {
                        if (page >= c.stash.first(s) && page < c.stash.first(s) + c.stash.length(s)) {
                            throw new IllegalStateException("page " + page + " is both in a live run and a kept run");
                        }
                    }
                }
            }
        }
        return live;
    }

    /** Allocated and free resident pages are Ready, released pages Prepared, ungrown chunks Reserved. */
    private void checkStates(final Arenas.Arena a) {
        final long chunkBytes = pageSize * PageAlloc.CHUNK_PAGES;
        final int chunks = (int) (arenas.pagesPerArena / PageAlloc.CHUNK_PAGES);
        for (int c = 0; c < chunks; c++) {
            final long chunkAddress = a.base + c * chunkBytes;
            if (c >= a.grownChunks) {
                if (chunkAddress >= growing[0] && chunkAddress < growing[0] + growing[1]) {
                    expectEither(chunkAddress, chunkBytes, MemState.RESERVED, MemState.PREPARED, "chunk being mapped");
                } else {
                    expect(chunkAddress, chunkBytes, MemState.RESERVED, "ungrown chunk");
                }
                continue;
            }
            for (int p = 0; p < PageAlloc.CHUNK_PAGES; p++) {
                final long page = a.firstPage + (long) c * PageAlloc.CHUNK_PAGES + p;
                if (beingReleased(page)) {
                    continue;
                }
                if (beingReadied(page)) {
                    expectEither(chunkAddress + ((long) p << pageShift), pageSize, MemState.PREPARED, MemState.READY,
                            "page of a run being made Ready");
                    continue;
                }
                final boolean released = pages.isReleased(page);
                if (!released && pages.isAllocated(page)) {
                    checkInside(chunkAddress + ((long) p << pageShift));
                    continue;
                }
                expect(chunkAddress + ((long) p << pageShift), pageSize, released ? MemState.PREPARED : MemState.READY,
                        released ? "released page" : pages.isAllocated(page) ? "allocated page" : "free page");
            }
        }
    }

    /** An allocated page: its Prepared bytes are exactly those released inside its run. */
    private void checkInside(final long address) {
        if (inside.movingIn(address, pageSize)) {
            return;
        }
        final long hollow = inside.releasedIn(address, pageSize);
        if (os.bytesIn(address, pageSize, MemState.READY) != pageSize - hollow
                || os.bytesIn(address, pageSize, MemState.PREPARED) != hollow) {
            throw new IllegalStateException("allocated page at 0x" + Long.toHexString(address) + " has "
                    + os.bytesIn(address, pageSize, MemState.PREPARED) + " bytes Prepared in the OS layer, but "
                    + hollow + " are released inside its run");
        }
    }

    private boolean beingReleased(final long page) {
        for (final long run : inFlight) {
            if (page >= ScavengeIndex.first(run) && page < ScavengeIndex.first(run) + ScavengeIndex.length(run)) {
                return true;
            }
        }
        return false;
    }

    private boolean beingReadied(final long page) {
        for (int i = 0; i < readying.length; i += 2) {
            if (page >= readying[i] && page < readying[i] + readying[i + 1]) {
                return true;
            }
        }
        return false;
    }

    /**
     * Every page of the range is in one of two states (a system call moving it from one to the other is under way
     * with no lock held). Page by page: each look at one page is atomic, a count over the range would not be.
     */
    private void expectEither(final long address, final long bytes, final MemState from, final MemState to,
                              final String what) {
        for (long p = address; p < address + bytes; p += pageSize) {
            final MemState state = os.stateOf(p);
            if (state != from && state != to) {
                throw new IllegalStateException(what + " at 0x" + Long.toHexString(p) + " is " + state
                        + " in the OS layer, expected " + from + " or " + to);
            }
        }
    }

    private void expect(final long address, final long bytes, final MemState state, final String what) {
        if (os.bytesIn(address, bytes, state) != bytes) {
            throw new IllegalStateException(what + " at 0x" + Long.toHexString(address) + " is " + os.stateOf(address)
                    + " in the OS layer, expected " + state);
        }
    }
}
