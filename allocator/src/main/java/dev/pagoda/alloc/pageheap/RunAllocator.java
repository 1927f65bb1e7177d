package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.PagodaOutOfMemoryError;
import dev.pagoda.alloc.pagealloc.Bitmaps;
import dev.pagoda.alloc.pagealloc.PageAlloc;
import dev.pagoda.alloc.pagealloc.PageCache;
import dev.pagoda.alloc.pagealloc.RunStash;
import dev.pagoda.os.MemState;
import dev.pagoda.os.OsMemory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How a {@code PageHeap} finds a run of up to an arena's pages and makes it Ready: from the calling thread's page
 * cache (a 64-page group, no lock), from its stash of freed runs, or from the page allocator under the heap lock,
 * growing the heap when nothing fits. Pages that were released are made Ready ({@code used}) after the heap lock
 * is dropped, within the memory limit; a run is zeroed unless it is known to read as zero or the caller opted out.
 * The run's length is then recorded at its first page, where {@code free} finds it.
 */
final class RunAllocator {
    private static final VarHandle RUNS = MethodHandles.arrayElementVarHandle(int[].class);

    private final ReentrantLock lock;
    private final PageAlloc pages;
    private final Arenas arenas;
    private final OsMemory os;
    private final AddressBudget budget;
    private final Releaser releaser;
    private final HeapGrowth growth;
    private final int pageShift;
    private final boolean releasedReadsZero;
    private final CloseGate gate;
    private final HeapMemory memory;
    /** The per-thread page caches, or null when the heap was built without them. */
    final PageCaches caches;
    /**
     * Live runs of {@link #allocateDirect} whose released pages are being made Ready ({@code used} under way with no
     * lock held), as {@code {first page, pages}}: Prepared until the call returns. Guarded by the heap lock; the
     * invariant checker allows for them, as for runs being released.
     */
    private final java.util.List<long[]> readying = new java.util.ArrayList<>(2);

    RunAllocator(final ReentrantLock lock, final PageAlloc pages, final Arenas arenas, final OsMemory os,
                 final AddressBudget budget, final Releaser releaser, final HeapGrowth growth, final int pageShift,
                 final boolean withCaches, final CloseGate gate, final HeapMemory memory) {
        this.lock = lock;
        this.pages = pages;
        this.arenas = arenas;
        this.os = os;
        this.budget = budget;
        this.releaser = releaser;
        this.growth = growth;
        this.pageShift = pageShift;
        this.releasedReadsZero = !os.needZeroAfterUnused();
        this.gate = gate;
        this.memory = memory;
        this.caches = withCaches ? new PageCaches(releasedReadsZero, this::flushUnderLock) : null;
    }

    /** Allocates a run of {@code npages} (at most an arena's pages), zeroed if asked. */
    long allocate(final long npages, final boolean zeroed) {
        if (npages <= PageCache.MAX_PAGES && caches != null) {
            final PageCache cache = caches.mine();
            if (cache != null) {
                return allocateCached(cache, (int) npages, zeroed);
            }
        }
        if (npages <= RunStash.MAX_PAGES && caches != null) {
            final PageCache cache = caches.mine();
            if (cache != null) {
                long page;
                long address = 0;
                cache.lock.lock();
                try {
                    page = cache.stash.take((int) npages);
                    if (page >= 0) {
                        address = recordRun(page, npages); // under the cache's lock: never half taken
                    }
                } finally {
                    cache.lock.unlock();
                }
                if (page >= 0) {
                    if (zeroed) {
                        memory.zero(address, npages << pageShift); // a kept run was used: it is dirty
                    }
                    return address;
                }
            }
        }
        return allocateDirect(npages, zeroed);
    }

    /**
     * An aligned run from the thread's page cache (a database's 16 KiB pages on 8 KiB heap pages: no lock, no
     * syscall), refilling the cache once with a group that holds a fitting run; 0 if the cache cannot serve it.
     */
    private long allocateCachedAligned(final PageCache cache, final int npages, final int alignPages,
                                       final boolean zeroed) {
        final long address;
        final boolean zero;
        cache.lock.lock();
        try {
            long p = cache.allocAligned(npages, alignPages);
            if (p < 0 && refill(cache, Math.min(Long.SIZE, npages + alignPages - 1))) {
                p = cache.allocAligned(npages, alignPages);
            }
            if (p < 0) {
                address = 0;
                zero = false;
            } else {
                address = recordRun(p, npages); // under the cache's lock: never half taken
                zero = cache.lastZeroed();
            }
        } finally {
            cache.lock.unlock();
        }
        if (address == 0) {
            return 0;
        }
        if (zeroed && !zero) {
            memory.zero(address, (long) npages << pageShift);
        }
        return address;
    }

    private long allocateCached(final PageCache cache, final int npages, final boolean zeroed) {
        final long address;
        final boolean zero;
        cache.lock.lock();
        try {
            long p = cache.alloc(npages);
            if (p < 0 && refill(cache, npages)) {
                p = cache.alloc(npages);
            }
            if (p < 0) {
                address = 0;
                zero = false;
            } else {
                // Recorded under the cache's lock: the pages are never out of the cache without being a live run.
                address = recordRun(p, npages);
                zero = cache.lastZeroed();
            }
        } finally {
            cache.lock.unlock();
        }
        if (address == 0) {
            // The first fit straddles two 64-page groups, which a cache cannot hold, or the memory limit has no
            // room for a whole group: take just the run, with no cache's lock held (the limit's path may flush
            // every cache).
            return allocateDirect(npages, zeroed);
        }
        if (zeroed && !zero) {
            memory.zero(address, (long) npages << pageShift);
        }
        return address;
    }

    /**
     * Gives the cache's leftovers back and takes the 64-page group holding the first free run of {@code npages},
     * growing the heap if there is none; then makes the group's released pages Ready, outside the heap lock.
     * Called with the cache's lock held.
     *
     * @return false, with the group given back, if the memory limit has no room for the group's released pages
     *         even after releasing free pages: the caller then takes just the run it needs from the allocator
     */
    private boolean refill(final PageCache cache, final int npages) {
        while (true) {
            lock.lock();
            try {
                checkOpen();
                pages.flush(cache);
                if (pages.allocToCache(cache, npages)) {
                    final Arenas.Arena arena = arenas.ofPage(cache.base());
                    final long offset = cache.base() - arena.firstPage;
                    if (offset + Long.SIZE > arena.zeroedBase) {
                        cache.markFresh(-1L << Math.max(0, arena.zeroedBase - offset));
                        arena.zeroedBase = offset + Long.SIZE;
                    }
                    break;
                }
            } finally {
                lock.unlock();
            }
            growth.grow(npages);
        }
        final long releasedBytes = (long) Long.bitCount(cache.releasedMask()) << pageShift;
        if (releasedBytes == 0) {
            return true;
        }
        try {
            // No flush of other caches here: this thread holds its own cache's lock.
            releaser.reserveReady(releasedBytes, false);
        } catch (final PagodaOutOfMemoryError e) {
            flushUnderLock(cache);
            return false;
        }
        gate.enter();
        try {
            for (long m = cache.releasedMask(); m != 0; ) {
                final int from = Long.numberOfTrailingZeros(m);
                final int n = Long.numberOfTrailingZeros(~(m >>> from));
                final long bytes = (long) n << pageShift;
                try {
                    os.used(arenas.addressOf(cache.base() + from), bytes);
                } catch (final RuntimeException e) {
                    // Give the group back; the pages still released keep their marks, as the OS layer has them.
                    flushUnderLock(cache);
                    throw budget.outOfMemory(bytes, e);
                }
                cache.markUsed(Bitmaps.mask(from, n));
                m &= ~Bitmaps.mask(from, n);
            }
        } finally {
            gate.exit();
        }
        return true;
    }

    private long allocateDirect(final long npages, final boolean zeroed) {
        long page;
        long wasReleased;
        boolean known;
        long address;
        while (true) {
            lock.lock();
            try {
                checkOpen();
                page = pages.find(npages);
                if (page >= 0) {
                    wasReleased = pages.allocRange(page, npages);
                    final Arenas.Arena arena = arenas.ofPage(page);
                    final long offset = page - arena.firstPage;
                    known = offset >= arena.zeroedBase || (wasReleased == npages && releasedReadsZero);
                    arena.zeroedBase = Math.max(arena.zeroedBase, offset + npages);
                    // Under the heap lock: the run is never allocated without being live (or known to be readied).
                    address = recordRun(page, npages);
                    if (wasReleased > 0) {
                        readying.add(new long[] {page, npages});
                    }
                    break;
                }
            } finally {
                lock.unlock();
            }
            growth.grow(npages);
        }
        final long bytes = npages << pageShift;
        if (wasReleased > 0) {
            try {
                releaser.reserveReady(wasReleased << pageShift, true);
            } catch (final PagodaOutOfMemoryError e) {
                undoDirect(page, address, npages);
                throw e;
            }
            gate.enter();
            try {
                os.used(address, bytes);
            } catch (final RuntimeException e) {
                undoDirect(page, address, npages);
                throw budget.outOfMemory(bytes, e);
            } finally {
                gate.exit();
            }
            lock.lock();
            try {
                readied(page);
            } finally {
                lock.unlock();
            }
        }
        if (zeroed && !known) {
            memory.zero(address, bytes);
        }
        return address;
    }

    /**
     * Puts back a run whose {@code used} failed: the OS layer left every page as it was, so each page goes back
     * released exactly if it is still Prepared.
     */
    private void undoDirect(final long page, final long address, final long npages) {
        final Arenas.Arena arena = arenas.ofPage(page);
        Locks.locked(lock, () -> {
            readied(page);
            RUNS.setRelease(arena.runs, (int) (page - arena.firstPage) + Arenas.RUNS_PAD, 0);
            for (long i = 0; i < npages; i++) {
                pages.freeRange(page + i, 1, os.stateOf(address + (i << pageShift)) == MemState.PREPARED);
            }
        });
    }

    /** Forgets the readying run that starts at {@code page}; called with the heap lock held. */
    private void readied(final long page) {
        readying.removeIf(run -> run[0] == page);
    }

    /**
     * The runs whose released pages are being made Ready right now, as {@code [first, pages, first, pages, ...]}:
     * allocated and live, each page Prepared or already Ready. Call with the heap lock held.
     */
    long[] readying() {
        final long[] out = new long[readying.size() * 2];
        for (int i = 0; i < readying.size(); i++) {
            out[2 * i] = readying.get(i)[0];
            out[2 * i + 1] = readying.get(i)[1];
        }
        return out;
    }

    /** Returns a cache's pages to the page allocator; called with the cache's lock held. */
    void flushUnderLock(final PageCache cache) {
        lock.lock();
        try {
            if (!gate.isShut()) {
                pages.flush(cache);
                final RunStash stash = cache.stash;
                for (int i = 0; i < stash.count(); i++) {
                    pages.freeRange(stash.first(i), stash.length(i), false);
                }
                stash.clear();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A run of {@code npages} whose address is a multiple of {@code alignment} (a power of two above the page size
     * and at most an arena's quarter): a run {@code alignment / pageSize - 1} pages longer is taken from the page
     * allocator, and the pages before and after the aligned part go straight back to it as free and resident.
     */
    long allocateAligned(final long npages, final long alignment, final boolean zeroed) {
        final long alignPages = alignment >>> pageShift;
        if (npages <= PageCache.MAX_PAGES && alignPages <= Long.SIZE && caches != null) {
            final PageCache cache = caches.mine();
            if (cache != null) {
                final long address = allocateCachedAligned(cache, (int) npages, (int) alignPages, zeroed);
                if (address != 0) {
                    return address;
                }
            }
        }
        final long extra = alignPages - 1;
        final long address = allocateDirect(npages + extra, zeroed);
        final long aligned = (address + alignment - 1) & -alignment;
        final long head = (aligned - address) >>> pageShift;
        final long tail = extra - head;
        final Arenas.Arena arena = arenas.ofAddress(address);
        final long first = arena.firstPage + ((address - arena.base) >>> pageShift);
        final long result;
        lock.lock();
        try {
            // The trim and the frees are one step under the heap lock: no page is ever allocated and in no run.
            RUNS.setRelease(arena.runs, (int) (first - arena.firstPage) + Arenas.RUNS_PAD, 0);
            result = recordRun(first + head, npages);
            if (head > 0) {
                pages.freeRange(first, head, false);
            }
            if (tail > 0) {
                pages.freeRange(first + head + npages, tail, false);
            }
        } finally {
            lock.unlock();
        }
        return result;
    }

    private void checkOpen() {
        if (gate.isShut()) {
            throw CloseGate.closed();
        }
    }

    long recordRun(final long page, final long npages) {
        final Arenas.Arena arena = arenas.ofPage(page);
        final long offset = page - arena.firstPage;
        RUNS.setRelease(arena.runs, (int) offset + Arenas.RUNS_PAD, (int) npages);
        return arena.base + (offset << pageShift);
    }
}
