package dev.pagoda.alloc;

import dev.pagoda.os.MemState;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryStats;
import dev.pagoda.os.OsOutOfMemoryException;
import dev.pagoda.os.ThreadSlot;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A heap of pages: runs of whole pages carved from arenas of reserved address space, handed out zeroed, taken
 * back on {@link #free}, and given back to the OS on {@link #releaseToOs()}. The design is the Go runtime's
 * {@code mheap} growth plus {@code pageAlloc}; see the {@linkplain dev.pagoda.alloc package documentation}
 * for the structures, the allocation path and the invariants.
 *
 * {@snippet :
 * try (PageHeap heap = PageHeap.builder().build()) {
 *     long run = heap.allocate(8);               // 8 pages of 8 KiB, zeroed
 *     // ... use [run, run + 8 * heap.pageSize()) ...
 *     heap.free(run);
 *     heap.releaseToOs();                        // free pages go back to the OS: RSS drops
 * }
 * }
 *
 * <p><b>Contract.</b> {@link #allocate} returns the address of a run of pages that no other live run
 * overlaps; it reads as zero unless the heap was built with {@code zeroing(false)} or the caller passes
 * {@code zeroed = false}. {@link #free} takes exactly the addresses {@code allocate} returned, once; anything
 * else (an interior address, a second free, an address from another heap) is refused with an
 * {@link IllegalArgumentException} and the heap is unchanged. When the address-space budget is exhausted or the
 * OS refuses memory, {@code allocate} throws {@link PagodaOutOfMemoryError} and the heap stays usable.
 *
 * <p><b>Threads.</b> All methods are thread-safe. Runs of up to {@value PageCache#MAX_PAGES} pages are served by
 * a per-thread {@link PageCache} without the heap lock (platform threads only: virtual threads, which may
 * number millions, go to the heap directly), and a run freed by the thread whose cache it came from goes
 * back to that cache. Any thread may free any run. A thread's cache is flushed back to the heap when the
 * thread ends and when {@link #releaseToOs()} runs. No system call is made while the heap lock is held.
 */
public final class PageHeap implements AutoCloseable {
    private static final VarHandle RUNS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int TABLE_LEAF_BITS = 10;
    private static final long ADDRESS_BITS = 48;
    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final OsMemory os;
    private final long pageSize;
    private final int pageShift;
    private final long arenaBytes;
    private final int arenaShift;
    private final long pagesPerArena;
    /**
     * Page indexes per arena slot: the arena's pages plus one chunk that is never grown, so that no run the
     * page allocator finds can cross from one arena into the next (arenas are not adjacent in memory).
     */
    private final long slotPages;
    private final long chunkBytes;
    private final long budget;
    private final boolean zeroing;
    private final boolean releasedReadsZero;

    /** Guards the page allocator, the arena list and the counters below. Never held across a system call. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Serialises growth, which maps memory without the heap lock. */
    private final ReentrantLock growLock = new ReentrantLock();
    private final PageAlloc pages = new PageAlloc();
    /** Arenas by slot; copy-on-write under the lock so readers need no lock. */
    private volatile Arena[] arenas = new Arena[0];
    /** Arenas by {@code address >>> arenaShift}, two levels, for lock-free lookup on free. */
    private final AtomicReferenceArray<AtomicReferenceArray<Arena>> table;
    private final ConcurrentHashMap<Long, Long> large = new ConcurrentHashMap<>();
    private long reservedBytes;
    private boolean closed;

    private final ThreadSlot<PageCache> caches;
    private final Set<PageCache> liveCaches = ConcurrentHashMap.newKeySet();

    /** One reserved arena: {@code arenaBytes} of address space whose chunks are mapped on demand. */
    private static final class Arena {
        final long base;
        final long firstPage;
        /** Run length at each run's first page, 0 elsewhere; updated with CAS so a double free is caught. */
        final int[] runs;
        /** Chunks mapped so far, from the bottom; changed only under the grow lock. */
        int grownChunks;
        /** Page offset below which pages have been handed out at least once (Go's zeroedBase). */
        long zeroedBase;

        Arena(final long base, final long firstPage, final int pages) {
            this.base = base;
            this.firstPage = firstPage;
            this.runs = new int[pages];
        }
    }

    private PageHeap(final Builder b) {
        this.os = b.os != null ? b.os : OsMemory.system();
        this.pageSize = b.pageSize;
        if (pageSize < os.pageSize()) {
            throw new IllegalArgumentException("pageSize must be at least the OS page size " + os.pageSize()
                    + ": pageSize=" + pageSize);
        }
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
        this.chunkBytes = pageSize * PageAlloc.CHUNK_PAGES;
        this.arenaBytes = b.arenaBytes;
        if (arenaBytes < chunkBytes) {
            throw new IllegalArgumentException("arenaBytes must be at least a chunk of " + PageAlloc.CHUNK_PAGES
                    + " pages (" + chunkBytes + " bytes): arenaBytes=" + arenaBytes);
        }
        this.arenaShift = Long.numberOfTrailingZeros(arenaBytes);
        this.pagesPerArena = arenaBytes >>> pageShift;
        this.slotPages = pagesPerArena + PageAlloc.CHUNK_PAGES;
        this.budget = b.budget;
        this.zeroing = b.zeroing;
        if (zeroing && "simulated".equals(os.port())) {
            throw new IllegalArgumentException("a simulated OsMemory has no memory behind its addresses: build the "
                    + "heap with zeroing(false)");
        }
        this.releasedReadsZero = !os.needZeroAfterUnused();
        final int l1 = (int) Math.max(1, 1L << Math.max(0, ADDRESS_BITS - arenaShift - TABLE_LEAF_BITS));
        this.table = new AtomicReferenceArray<>(l1);
        this.caches = b.pageCaches
                ? ThreadSlot.create("pagoda-page-cache", this::newCache, this::retireCache)
                : null;
    }

    /**
     * A builder with the defaults: the OS port for this system, 8 KiB pages, 64 MiB arenas, a 256 GiB
     * address-space budget, zeroing on, per-thread page caches on.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------------------------------------------
    // Allocation.

    /**
     * Allocates a run of zeroed pages (unless the heap was built with {@code zeroing(false)}).
     *
     * @param npages how many pages, at least 1
     * @return the address of the run's first page, aligned to {@link #pageSize()}; never 0
     * @throws IllegalArgumentException if {@code npages} is not positive or the run's size overflows
     * @throws PagodaOutOfMemoryError   if the address-space budget is exhausted or the OS refuses memory
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocate(final long npages) {
        return allocate(npages, zeroing);
    }

    /**
     * Allocates a run of pages, zeroed if {@code zeroed} is true.
     *
     * @param npages how many pages, at least 1
     * @param zeroed whether the run must read as zero; false skips zeroing where the pages may hold old data
     * @return the address of the run's first page, aligned to {@link #pageSize()}; never 0
     * @throws IllegalArgumentException if {@code npages} is not positive or the run's size overflows, or if
     *                                  {@code zeroed} is asked of a heap over a simulated OS
     * @throws PagodaOutOfMemoryError   if the address-space budget is exhausted or the OS refuses memory
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocate(final long npages, final boolean zeroed) {
        if (npages <= 0 || npages > (Long.MAX_VALUE >>> pageShift)) {
            throw new IllegalArgumentException("npages must be between 1 and " + (Long.MAX_VALUE >>> pageShift)
                    + ": npages=" + npages);
        }
        if (zeroed && !zeroing) {
            throw new IllegalArgumentException("this heap was built with zeroing(false): it cannot zero");
        }
        checkOpen();
        if (npages > pagesPerArena) {
            return allocateLarge(npages);
        }
        if (npages <= PageCache.MAX_PAGES && caches != null && !Thread.currentThread().isVirtual()) {
            final long address = allocateCached((int) npages, zeroed);
            if (address != 0) {
                return address;
            }
        }
        return allocateDirect(npages, zeroed);
    }

    private long allocateCached(final int npages, final boolean zeroed) {
        final PageCache cache = caches.get();
        long page;
        boolean zero;
        synchronized (cache) {
            page = cache.alloc(npages);
            if (page < 0) {
                refill(cache);
                page = cache.alloc(npages);
                if (page < 0) {
                    return 0;
                }
            }
            zero = cache.lastZeroed();
        }
        final long address = recordRun(page, npages);
        if (zeroed && !zero) {
            zero(address, (long) npages << pageShift);
        }
        return address;
    }

    /** Gives the cache's leftovers back and takes a new group; makes released pages Ready outside the lock. */
    private void refill(final PageCache cache) {
        while (true) {
            lock.lock();
            try {
                checkOpen();
                pages.flush(cache);
                if (pages.allocToCache(cache)) {
                    final Arena arena = arenaOfPage(cache.base());
                    final long offset = cache.base() - arena.firstPage;
                    if (offset + Long.SIZE > arena.zeroedBase) {
                        final long freshFrom = Math.max(0, arena.zeroedBase - offset);
                        cache.markFresh(-1L << freshFrom);
                        arena.zeroedBase = offset + Long.SIZE;
                    }
                    break;
                }
            } finally {
                lock.unlock();
            }
            grow(1);
        }
        final long rel = cache.releasedMask();
        if (rel != 0) {
            makeReady(cache.base(), rel);
            cache.markUsed();
        }
    }

    private long allocateDirect(final long npages, final boolean zeroed) {
        long page;
        long wasReleased;
        boolean known;
        while (true) {
            lock.lock();
            try {
                checkOpen();
                page = pages.find(npages);
                if (page >= 0) {
                    wasReleased = pages.allocRange(page, npages);
                    final Arena arena = arenaOfPage(page);
                    final long offset = page - arena.firstPage;
                    final boolean fresh = offset >= arena.zeroedBase;
                    arena.zeroedBase = Math.max(arena.zeroedBase, offset + npages);
                    known = fresh || (wasReleased == npages && releasedReadsZero);
                    break;
                }
            } finally {
                lock.unlock();
            }
            grow(npages);
        }
        final long address = recordRun(page, npages);
        final long bytes = npages << pageShift;
        if (wasReleased > 0) {
            try {
                os.used(address, bytes);
            } catch (final RuntimeException e) {
                undo(page, npages);
                throw outOfMemory(bytes, e);
            }
        }
        if (zeroed && !known) {
            zero(address, bytes);
        }
        return address;
    }

    private long allocateLarge(final long npages) {
        final long bytes = npages << pageShift;
        lock.lock();
        try {
            checkOpen();
            if (bytes > budget - reservedBytes) {
                throw new PagodaOutOfMemoryError("address-space budget", bytes, budget, reservedBytes, null);
            }
            reservedBytes += bytes;
        } finally {
            lock.unlock();
        }
        long address = 0;
        try {
            address = os.reserveAligned(bytes, pageSize);
            os.map(address, bytes);
            os.used(address, bytes);
        } catch (final RuntimeException e) {
            if (address != 0) {
                os.free(address, bytes);
            }
            lock.lock();
            try {
                reservedBytes -= bytes;
            } finally {
                lock.unlock();
            }
            throw outOfMemory(bytes, e);
        }
        large.put(address, bytes);
        return address;
    }

    // ---------------------------------------------------------------------------------------------------
    // Free.

    /**
     * Frees the run that starts at {@code address}.
     *
     * @param address an address returned by {@link #allocate} and not freed since
     * @throws IllegalArgumentException if {@code address} is not the start of a live run of this heap
     * @throws IllegalStateException    if the heap is closed
     */
    public void free(final long address) {
        checkOpen();
        final Arena arena = arenaOf(address);
        if (arena == null) {
            freeLarge(address);
            return;
        }
        final long offset = (address - arena.base) >>> pageShift;
        if ((address & (pageSize - 1)) != 0) {
            throw notLive(address);
        }
        final int npages = (int) RUNS.getVolatile(arena.runs, (int) offset);
        if (npages <= 0 || !RUNS.compareAndSet(arena.runs, (int) offset, npages, 0)) {
            throw notLive(address);
        }
        final long page = arena.firstPage + offset;
        if (npages <= PageCache.MAX_PAGES && caches != null && !Thread.currentThread().isVirtual()) {
            final PageCache cache = caches.getIfPresent();
            if (cache != null) {
                synchronized (cache) {
                    if (cache.free(page, npages)) {
                        return;
                    }
                }
            }
        }
        lock.lock();
        try {
            pages.freeRange(page, npages, false);
        } finally {
            lock.unlock();
        }
    }

    private void freeLarge(final long address) {
        final Long bytes = large.remove(address);
        if (bytes == null) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address)
                    + " was not allocated by this heap");
        }
        os.free(address, bytes);
        lock.lock();
        try {
            reservedBytes -= bytes;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The length in pages of the live run that starts at {@code address}.
     *
     * @param address an address returned by {@link #allocate} and not freed since
     * @return the run's length in pages
     * @throws IllegalArgumentException if {@code address} is not the start of a live run of this heap
     */
    public long pages(final long address) {
        final Arena arena = arenaOf(address);
        if (arena == null) {
            final Long bytes = large.get(address);
            if (bytes == null) {
                throw new IllegalArgumentException("address 0x" + Long.toHexString(address)
                        + " was not allocated by this heap");
            }
            return bytes >>> pageShift;
        }
        final int npages = (address & (pageSize - 1)) != 0 ? 0
                : (int) RUNS.getVolatile(arena.runs, (int) ((address - arena.base) >>> pageShift));
        if (npages <= 0) {
            throw notLive(address);
        }
        return npages;
    }

    // ---------------------------------------------------------------------------------------------------
    // Giving memory back.

    /**
     * Gives every free page back to the OS now: flushes every thread's page cache, then releases the free
     * resident pages run by run (Go's {@code scavengeOne}: each run is taken out of the allocator under the
     * lock, released with no lock held, and put back marked released).
     *
     * @return the bytes released
     * @throws IllegalStateException if the heap is closed
     */
    public long releaseToOs() {
        checkOpen();
        for (final PageCache cache : liveCaches) {
            flushCache(cache);
        }
        long releasedBytes = 0;
        long cursor = 0;
        while (true) {
            final long page;
            final long npages;
            lock.lock();
            try {
                page = pages.findReleasable(cursor);
                if (page < 0) {
                    break;
                }
                npages = pages.releasableRun(page, PageAlloc.CHUNK_PAGES);
                pages.allocRange(page, npages);
            } finally {
                lock.unlock();
            }
            final long address = addressOfPage(page);
            boolean done = false;
            try {
                os.unused(address, npages << pageShift);
                done = true;
            } finally {
                lock.lock();
                try {
                    pages.freeRange(page, npages, done);
                } finally {
                    lock.unlock();
                }
            }
            releasedBytes += npages << pageShift;
            cursor = page + npages;
        }
        return releasedBytes;
    }

    // ---------------------------------------------------------------------------------------------------
    // Growth.

    /** Maps enough new chunks for a run of {@code npages}, reserving a new arena if no arena has room. */
    private void grow(final long npages) {
        final int needChunks = (int) ((npages + PageAlloc.CHUNK_PAGES - 1) / PageAlloc.CHUNK_PAGES);
        final int chunksPerArena = (int) (pagesPerArena / PageAlloc.CHUNK_PAGES);
        growLock.lock();
        try {
            Arena arena = null;
            lock.lock();
            try {
                checkOpen();
                if (pages.find(npages) >= 0) {
                    return; // someone else grew the heap meanwhile
                }
                for (final Arena a : arenas) {
                    if (chunksPerArena - a.grownChunks >= needChunks) {
                        arena = a;
                        break;
                    }
                }
                if (arena == null && arenaBytes > budget - reservedBytes) {
                    throw new PagodaOutOfMemoryError("address-space budget", arenaBytes, budget, reservedBytes, null);
                }
                if (arena == null) {
                    reservedBytes += arenaBytes;
                }
            } finally {
                lock.unlock();
            }
            if (arena == null) {
                arena = newArena();
            }
            final long firstChunk = arena.grownChunks;
            final long address = arena.base + firstChunk * chunkBytes;
            try {
                os.map(address, needChunks * chunkBytes);
            } catch (final RuntimeException e) {
                throw outOfMemory(needChunks * chunkBytes, e);
            }
            lock.lock();
            try {
                arena.grownChunks += needChunks;
                pages.grow(arena.firstPage + firstChunk * PageAlloc.CHUNK_PAGES,
                        (long) needChunks * PageAlloc.CHUNK_PAGES);
            } finally {
                lock.unlock();
            }
        } finally {
            growLock.unlock();
        }
    }

    /** Reserves and registers a new arena; the budget was already charged. Called under the grow lock only. */
    private Arena newArena() {
        final long base;
        try {
            base = os.reserveAligned(arenaBytes, arenaBytes);
        } catch (final RuntimeException e) {
            lock.lock();
            try {
                reservedBytes -= arenaBytes;
            } finally {
                lock.unlock();
            }
            throw outOfMemory(arenaBytes, e);
        }
        lock.lock();
        try {
            final Arena[] old = arenas;
            final Arena arena = new Arena(base, old.length * slotPages, (int) pagesPerArena);
            pages.ensureCapacity((old.length + 1) * slotPages);
            final Arena[] next = java.util.Arrays.copyOf(old, old.length + 1);
            next[old.length] = arena;
            arenas = next;
            final long key = base >>> arenaShift;
            final int l1 = (int) (key >>> TABLE_LEAF_BITS);
            AtomicReferenceArray<Arena> leaf = table.get(l1);
            if (leaf == null) {
                leaf = new AtomicReferenceArray<>(1 << TABLE_LEAF_BITS);
                table.set(l1, leaf);
            }
            leaf.set((int) (key & ((1 << TABLE_LEAF_BITS) - 1)), arena);
            return arena;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Caches.

    private PageCache newCache() {
        final PageCache cache = new PageCache(releasedReadsZero);
        liveCaches.add(cache);
        return cache;
    }

    private void retireCache(final PageCache cache) {
        liveCaches.remove(cache);
        flushCache(cache);
    }

    private void flushCache(final PageCache cache) {
        synchronized (cache) {
            lock.lock();
            try {
                if (!closed) {
                    pages.flush(cache);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Queries.

    /**
     * The heap's page size: every run is a multiple of it and aligned to it.
     *
     * @return the page size in bytes
     */
    public long pageSize() {
        return pageSize;
    }

    /**
     * The OS-memory layer the heap runs on.
     *
     * @return the layer
     */
    public OsMemory os() {
        return os;
    }

    /**
     * A consistent snapshot of the heap's memory.
     *
     * @return the statistics
     */
    public PageHeapStats stats() {
        final List<PageCache> held = new ArrayList<>(liveCaches);
        return withCachesLocked(held, 0, () -> {
            long cached = 0;
            for (final PageCache c : held) {
                cached += c.pages();
            }
            long ungrown = 0;
            for (final Arena a : arenas) {
                ungrown += arenaBytes - a.grownChunks * chunkBytes;
            }
            long largeBytes = 0;
            for (final long b : large.values()) {
                largeBytes += b;
            }
            final OsMemoryStats s = os.stats();
            return new PageHeapStats(pageSize, arenas.length, arenas.length * arenaBytes, ungrown,
                    (pages.allocatedPages() - cached) << pageShift, cached << pageShift,
                    pages.freeResidentPages() << pageShift, pages.releasedPages() << pageShift, largeBytes,
                    large.size(), s.readyBytes(), s.ownedBytes());
        });
    }

    /**
     * Checks every invariant of the heap against its own structures and the OS layer: the page allocator's
     * summaries and counters; every live run lies in allocated pages; allocated and free resident pages are
     * Ready, released pages Prepared, ungrown arena space Reserved; and the accounting equations of
     * {@link PageHeapStats}. Meant for tests and debug builds: it takes the heap lock and every cache's lock
     * and costs time proportional to the heap.
     *
     * @throws IllegalStateException describing the first violation
     */
    public void checkInvariants() {
        final List<PageCache> held = new ArrayList<>(liveCaches);
        withCachesLocked(held, 0, () -> {
            pages.checkInvariants();
            long live = 0;
            long cached = 0;
            for (final PageCache c : held) {
                cached += c.pages();
                for (long m = c.freeMask(); m != 0; m &= m - 1) {
                    if (!pages.isAllocated(c.base() + Long.numberOfTrailingZeros(m))) {
                        throw new IllegalStateException("a cached page is free in the page allocator");
                    }
                }
            }
            for (final Arena a : arenas) {
                for (int off = 0; off < pagesPerArena; off++) {
                    final int n = a.runs[off];
                    if (n > 0) {
                        live += n;
                        for (int i = 0; i < n; i++) {
                            if (!pages.isAllocated(a.firstPage + off + i)) {
                                throw new IllegalStateException("live run at 0x" + Long.toHexString(a.base
                                        + ((long) off << pageShift)) + " has a free page " + i);
                            }
                        }
                    }
                }
                checkArenaStates(a);
            }
            if (live != pages.allocatedPages() - cached) {
                throw new IllegalStateException("live runs hold " + live + " pages but the allocator has "
                        + (pages.allocatedPages() - cached) + " allocated outside caches");
            }
            final OsMemoryStats s = os.stats();
            long largeBytes = 0;
            for (final long b : large.values()) {
                largeBytes += b;
            }
            final long residentPages = pages.allocatedPages() + pages.freeResidentPages();
            if (s.readyBytes() != (residentPages << pageShift) + largeBytes) {
                throw new IllegalStateException("the OS layer has " + s.readyBytes() + " bytes Ready but the heap "
                        + "accounts for " + ((residentPages << pageShift) + largeBytes));
            }
            if (s.preparedBytes() != pages.releasedPages() << pageShift) {
                throw new IllegalStateException("the OS layer has " + s.preparedBytes() + " bytes Prepared but "
                        + (pages.releasedPages() << pageShift) + " are released");
            }
            return null;
        });
    }

    private void checkArenaStates(final Arena a) {
        for (int c = 0; c < pagesPerArena / PageAlloc.CHUNK_PAGES; c++) {
            final long chunkAddress = a.base + c * chunkBytes;
            if (c >= a.grownChunks) {
                expectState(chunkAddress, chunkBytes, MemState.RESERVED, "ungrown chunk");
                continue;
            }
            for (int p = 0; p < PageAlloc.CHUNK_PAGES; p++) {
                final long page = a.firstPage + (long) c * PageAlloc.CHUNK_PAGES + p;
                final long address = chunkAddress + ((long) p << pageShift);
                expectState(address, pageSize, pages.isReleased(page) ? MemState.PREPARED : MemState.READY,
                        pages.isReleased(page) ? "released page" : pages.isAllocated(page) ? "allocated page"
                                : "free page");
            }
        }
    }

    private void expectState(final long address, final long bytes, final MemState state, final String what) {
        if (os.bytesIn(address, bytes, state) != bytes) {
            throw new IllegalStateException(what + " at 0x" + Long.toHexString(address) + " is " + os.stateOf(address)
                    + " in the OS layer, expected " + state);
        }
    }

    private <T> T withCachesLocked(final List<PageCache> held, final int i, final java.util.function.Supplier<T> body) {
        if (i == held.size()) {
            lock.lock();
            try {
                checkOpen();
                return body.get();
            } finally {
                lock.unlock();
            }
        }
        synchronized (held.get(i)) {
            return withCachesLocked(held, i + 1, body);
        }
    }

    /**
     * Frees every arena and large allocation: all memory of the heap goes back to the OS at once. Runs still
     * live become invalid; using them afterwards is undefined (it faults). Idempotent.
     */
    @Override
    public void close() {
        growLock.lock();
        try {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
            } finally {
                lock.unlock();
            }
            if (caches != null) {
                caches.close();
            }
            for (final Arena a : arenas) {
                os.free(a.base, arenaBytes);
            }
            for (final var e : large.entrySet()) {
                os.free(e.getKey(), e.getValue());
            }
            large.clear();
        } finally {
            growLock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Helpers.

    private long recordRun(final long page, final long npages) {
        final Arena arena = arenaOfPage(page);
        final long offset = page - arena.firstPage;
        RUNS.setRelease(arena.runs, (int) offset, (int) npages);
        return arena.base + (offset << pageShift);
    }

    private void undo(final long page, final long npages) {
        final Arena arena = arenaOfPage(page);
        RUNS.setRelease(arena.runs, (int) (page - arena.firstPage), 0);
        lock.lock();
        try {
            pages.freeRange(page, npages, false);
        } finally {
            lock.unlock();
        }
    }

    /** Calls {@code used} on each run of set bits of {@code mask} in the group starting at {@code basePage}. */
    private void makeReady(final long basePage, final long mask) {
        long m = mask;
        while (m != 0) {
            final int from = Long.numberOfTrailingZeros(m);
            final int n = Long.numberOfTrailingZeros(~(m >>> from));
            os.used(addressOfPage(basePage + from), (long) n << pageShift);
            m &= ~Bitmaps.mask(from, n);
        }
    }

    private Arena arenaOfPage(final long page) {
        return arenas[(int) (page / slotPages)];
    }

    private long addressOfPage(final long page) {
        final Arena a = arenaOfPage(page);
        return a.base + ((page - a.firstPage) << pageShift);
    }

    private Arena arenaOf(final long address) {
        final long key = address >>> arenaShift;
        final long l1 = key >>> TABLE_LEAF_BITS;
        if (address <= 0 || l1 >= table.length()) {
            return null;
        }
        final AtomicReferenceArray<Arena> leaf = table.get((int) l1);
        return leaf == null ? null : leaf.get((int) (key & ((1 << TABLE_LEAF_BITS) - 1)));
    }

    private static void zero(final long address, final long bytes) {
        EVERYTHING.asSlice(address, bytes).fill((byte) 0);
    }

    private IllegalArgumentException notLive(final long address) {
        return new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is not the start of a live "
                + "run of this heap (an interior address, or freed already)");
    }

    /** Turns {@code ENOMEM} into {@link PagodaOutOfMemoryError}; rethrows anything else. */
    private PagodaOutOfMemoryError outOfMemory(final long bytes, final RuntimeException e) {
        if (e instanceof OsOutOfMemoryException) {
            return new PagodaOutOfMemoryError("the OS refused memory (ENOMEM); address-space budget", bytes, budget,
                    reservedBytes, e);
        }
        throw e;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the heap is closed");
        }
    }

    /** Configures a {@link PageHeap}. */
    public static final class Builder {
        private OsMemory os;
        private long pageSize = 8192;
        private long arenaBytes = 64L << 20;
        private long budget = 256L << 30;
        private boolean zeroing = true;
        private boolean pageCaches = true;

        private Builder() {
        }

        /**
         * The OS-memory layer to build on; {@link OsMemory#system()} by default.
         *
         * @param os the layer, e.g. {@link OsMemory#simulated()} for tests (then also {@code zeroing(false)})
         * @return this builder
         */
        public Builder os(final OsMemory os) {
            this.os = Objects.requireNonNull(os, "os");
            return this;
        }

        /**
         * The page size: a power of two, at least the OS page size (checked at build).
         *
         * @param bytes the page size; 8 KiB by default
         * @return this builder
         * @throws IllegalArgumentException if not a power of two of at least 4096
         */
        public Builder pageSize(final long bytes) {
            if (bytes < 4096 || Long.bitCount(bytes) != 1 || bytes > (1L << 30)) {
                throw new IllegalArgumentException("pageSize must be a power of two from 4096 to 1 GiB: pageSize="
                        + bytes);
            }
            this.pageSize = bytes;
            return this;
        }

        /**
         * The arena size: a power of two, at least one chunk of 512 pages (checked at build).
         *
         * @param bytes the arena size; 64 MiB by default
         * @return this builder
         * @throws IllegalArgumentException if not a power of two, or above 2<sup>40</sup>
         */
        public Builder arenaBytes(final long bytes) {
            if (bytes <= 0 || Long.bitCount(bytes) != 1 || bytes > (1L << 40)) {
                throw new IllegalArgumentException("arenaBytes must be a power of two up to 2^40: arenaBytes=" + bytes);
            }
            this.arenaBytes = bytes;
            return this;
        }

        /**
         * The most address space the heap may reserve, arenas and large allocations together.
         *
         * @param bytes a positive number of bytes; 256 GiB by default
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder addressSpaceBudget(final long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("addressSpaceBudget must be positive: addressSpaceBudget=" + bytes);
            }
            this.budget = bytes;
            return this;
        }

        /**
         * Whether runs are zeroed by default; callers may still opt out per call.
         *
         * @param zero true by default; must be false over a simulated OS
         * @return this builder
         */
        public Builder zeroing(final boolean zero) {
            this.zeroing = zero;
            return this;
        }

        /**
         * Whether platform threads get per-thread page caches.
         *
         * @param enabled true by default
         * @return this builder
         */
        public Builder pageCaches(final boolean enabled) {
            this.pageCaches = enabled;
            return this;
        }

        /**
         * Creates the heap. Nothing is reserved until the first allocation.
         *
         * @return the heap
         * @throws IllegalArgumentException if the page size is below the OS page size, the arena is smaller
         *                                  than a chunk, or zeroing is asked of a simulated OS
         */
        public PageHeap build() {
            return new PageHeap(this);
        }
    }
}
