package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.HugePageReport;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.ReclaimStats;
import dev.pagoda.alloc.ScavengerStats;
import dev.pagoda.alloc.pagealloc.PageAlloc;
import dev.pagoda.alloc.pagealloc.PageCache;
import dev.pagoda.alloc.pagealloc.RunStash;
import dev.pagoda.os.OsMemory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The engine of a page heap: arenas, growth, the run allocator with its per-thread caches, large runs, releases and
 * the memory limit, the close gate and the fenced memory access, wired together; the public
 * {@code dev.pagoda.alloc.PageHeap} is its documented face, and the small-object engine allocates its spans here.
 * The scavenger is not part of it: it drives {@link #releaser()} from beside, over the parts this class exposes.
 *
 * <p>Thread-safe. Lock order, outermost first: a page cache's lock, the grow lock, the heap lock ({@link #lock()});
 * no system call is made with the heap lock held.
 */
public final class PageHeapEngine {
    private static final VarHandle RUNS = MethodHandles.arrayElementVarHandle(int[].class);

    private final OsMemory os;
    private final long pageSize;
    private final int pageShift;
    private final long arenaBytes;
    private final long chunkBytes;
    private final AddressBudget budget;
    private final boolean zeroing;

    /** Guards the page allocator, arena growth marks and the reserved-bytes count. Never held across a syscall. */
    private final ReentrantLock lock = new ReentrantLock();
    private final PageAlloc pages = new PageAlloc();
    private final Arenas arenas;
    private final LargeRuns large;
    private final PageCaches caches;
    private final RunAllocator runs;
    private final Releaser releaser;
    private final HeapGrowth growth;
    private final String name;
    private final HugePageReport hugePages;
    /** Shut by {@link #stop()}: system-call sequences in flight finish first ({@link CloseGate}). */
    private final CloseGate gate = new CloseGate();
    /** OS pages released inside allocated runs (spans with free pages), subtracted from the resident ones. */
    private final InsideReleases inside;
    /** The reclaimers, and the retry of allocations that met the memory limit ({@link MemoryPressure}). */
    private final MemoryPressure pressure;
    /** Pagoda's own reads and writes of the heap's memory, fenced against close ({@link HeapMemory}). */
    private final HeapMemory memory = new HeapMemory();
    /** Whether the memory was given back (close, or the owning heap's last arena closing). */
    private boolean unmapped;
    private static final AtomicInteger NAMES = new AtomicInteger();
    /**
     * The OS-memory layers that back an open heap. A heap's limit, statistics and invariant checks read the layer's
     * own counters, so a layer serves one heap at a time; a second heap on it is refused.
     */
    private static final java.util.Set<OsMemory> IN_USE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Builds the engine; reserves nothing until the first allocation.
     *
     * @param config the settings, checked
     * @throws IllegalArgumentException if a setting cannot work on {@code config.os()}, or that OS layer backs an
     *                                  open heap already
     */
    public PageHeapEngine(final PageHeapConfig config) {
        this.os = config.os();
        this.pageSize = config.pageSize();
        if (pageSize < os.pageSize()) {
            throw new IllegalArgumentException("pageSize must be at least the OS page size " + os.pageSize()
                    + ": pageSize=" + pageSize);
        }
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
        this.chunkBytes = pageSize * PageAlloc.CHUNK_PAGES;
        this.arenaBytes = config.arenaBytes();
        if (arenaBytes < chunkBytes) {
            throw new IllegalArgumentException("arenaBytes must be at least a chunk of " + PageAlloc.CHUNK_PAGES
                    + " pages (" + chunkBytes + " bytes): arenaBytes=" + arenaBytes);
        }
        this.budget = new AddressBudget(config.budget());
        this.zeroing = config.zeroing();
        if (zeroing && "simulated".equals(os.port())) {
            throw new IllegalArgumentException("a simulated OsMemory has no memory behind its addresses: build the "
                    + "heap with zeroing(false)");
        }
        if (!IN_USE.add(os)) {
            throw new IllegalArgumentException("this OsMemory already backs an open heap, and a heap's limit, "
                    + "statistics and checks read its counters: give each heap its own (OsMemory.system() returns "
                    + "a new one on every call)");
        }
        this.name = config.name() != null ? config.name() : "heap-" + NAMES.incrementAndGet();
        this.hugePages = HugePages.resolve(os, config.hugePages());
        this.pressure = new MemoryPressure(name);
        this.arenas = new Arenas(pageShift, Long.numberOfTrailingZeros(arenaBytes));
        this.releaser = new Releaser(lock, pages, arenas, os, name, pageShift, config.memoryLimit(), gate);
        releaser.keepHugePages(hugePages.hugePagesInPlay());
        this.large = new LargeRuns(os, config.guardPages(), budget, releaser, hugePages, gate);
        this.growth = new HeapGrowth(lock, pages, arenas, os, budget, arenaBytes, chunkBytes, gate,
                hugePages, name);
        this.runs = new RunAllocator(lock, pages, arenas, os, budget, releaser, growth, pageShift, config.pageCaches(),
                gate, memory);
        this.caches = runs.caches;
        this.inside = new InsideReleases(lock, os, gate, releaser);
        if (caches != null) {
            releaser.flushCaches(caches::flushAll);
        }
    }

    /** Allocates a run of {@code npages} pages, zeroed if asked (the {@code PageHeap.allocate} contract). */
    public long allocateRun(final long npages, final boolean zeroed) {
        if (npages <= 0 || npages > (Long.MAX_VALUE >>> pageShift)) {
            throw new IllegalArgumentException("npages must be between 1 and " + (Long.MAX_VALUE >>> pageShift)
                    + ": npages=" + npages);
        }
        if (zeroed && !zeroing) {
            throw new IllegalArgumentException("this heap was built with zeroing(false): it cannot zero");
        }
        checkOpen();
        if (npages > arenas.pagesPerArena) {
            return large.allocate(npages << pageShift, pageSize);
        }
        return runs.allocate(npages, zeroed);
    }

    /** Allocates a run aligned to {@code alignment} (the {@code PageHeap.allocateAligned} contract). */
    public long allocateAlignedRun(final long npages, final long alignment) {
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: alignment=" + alignment);
        }
        if (alignment <= pageSize) {
            return allocateRun(npages, zeroing);
        }
        if (npages <= 0 || npages > (Long.MAX_VALUE >>> pageShift)) {
            throw new IllegalArgumentException("npages must be between 1 and " + (Long.MAX_VALUE >>> pageShift)
                    + ": npages=" + npages);
        }
        checkOpen();
        if (alignment <= arenaBytes / 4 && npages + (alignment >>> pageShift) - 1 <= arenas.pagesPerArena) {
            return runs.allocateAligned(npages, alignment, zeroing);
        }
        return large.allocate(npages << pageShift, alignment);
    }

    /** Frees the run at {@code address} (the {@code PageHeap.free} contract). */
    public void freeRun(final long address) {
        checkOpen();
        final Arenas.Arena arena = arenas.ofAddress(address);
        if (arena == null) {
            final long bytes = large.free(address);
            if (bytes < 0) {
                throw new IllegalArgumentException("address 0x" + Long.toHexString(address)
                        + " was not allocated by this heap");
            }
            budget.refund(bytes);
            return;
        }
        final int offset = (int) ((address - arena.base) >>> pageShift);
        final int npages = (address & (pageSize - 1)) != 0 ? 0 : (int) RUNS.getVolatile(arena.runs, offset + Arenas.RUNS_PAD);
        if (npages <= 0) {
            throw notLive(address);
        }
        // The run stops being live under the lock that covers where its pages go (the thread's cache, or the heap
        // lock), so the invariant checker, which holds both, never sees it neither live nor free.
        final long page = arena.firstPage + offset;
        if (npages <= RunStash.MAX_PAGES && caches != null) {
            final PageCache cache = caches.mineIfPresent();
            if (cache != null) {
                cache.lock.lock();
                try {
                    if (!RUNS.compareAndSet(arena.runs, offset + Arenas.RUNS_PAD, npages, 0)) {
                        throw notLive(address);
                    }
                    if (!(npages <= PageCache.MAX_PAGES ? cache.free(page, npages) : cache.stash.put(page, npages))) {
                        freeToHeap(page, npages); // cache lock, then heap lock: the lock order
                    }
                } finally {
                    cache.lock.unlock();
                }
                return;
            }
        }
        lock.lock(); // no lambda here: this is the free path of every run the caches do not take
        try {
            if (!RUNS.compareAndSet(arena.runs, offset + Arenas.RUNS_PAD, npages, 0)) {
                throw notLive(address);
            }
            pages.freeRange(page, npages, false);
        } finally {
            lock.unlock();
        }
    }

    private void freeToHeap(final long page, final long npages) {
        lock.lock();
        try {
            pages.freeRange(page, npages, false);
        } finally {
            lock.unlock();
        }
    }

    /** The length in pages of the live run at {@code address}, with no open check (the {@code PageHeap.pages} contract). */
    public long runPages(final long address) {
        final Arenas.Arena arena = arenas.ofAddress(address);
        if (arena == null) {
            final long bytes = large.size(address);
            if (bytes < 0) {
                throw new IllegalArgumentException("address 0x" + Long.toHexString(address)
                        + " was not allocated by this heap");
            }
            return bytes >>> pageShift;
        }
        final int npages = (address & (pageSize - 1)) != 0 ? 0
                : (int) RUNS.getVolatile(arena.runs, (int) ((address - arena.base) >>> pageShift) + Arenas.RUNS_PAD);
        if (npages <= 0) {
            throw notLive(address);
        }
        return npages;
    }

    /**
     * The arena holding {@code address}, or null. Lock-free, for the small-object engine's span lookup.
     *
     * @param address any address
     * @return the arena, or null
     */
    public Arenas.Arena arenaOf(final long address) {
        return arenas.ofAddress(address);
    }

    /**
     * Flushes every page cache and releases every free resident page (the {@code PageHeap.releaseToOs} contract).
     *
     * @return the bytes released
     */
    public long releaseToOs() {
        checkOpen();
        if (caches != null) {
            caches.flushAll();
        }
        return releaser.releaseFree();
    }

    /**
     * The mapped ranges of the heap's arenas and large runs, for a residency measurement.
     *
     * @return {@code [address, bytes, ...]} lists: the grown part of every arena, then every large run
     */
    public long[][] mappedRanges() {
        final long[] mapped = Locks.lockedGet(lock, () -> {
            checkOpen();
            return arenas.grownRanges(chunkBytes);
        });
        return new long[][] {mapped, large.ranges()};
    }

    /**
     * A consistent snapshot of the heap's memory.
     *
     * @param scavenger the scavenger's figures, reported with the heap's
     * @return the statistics
     */
    public PageHeapStats stats(final ScavengerStats scavenger) {
        final ReclaimStats reclaims = pressure.stats();
        return underAllLocks(held -> checker().stats(held, large, scavenger, reclaims));
    }

    /** Checks every invariant of the heap (the {@code PageHeap.checkInvariants} contract). */
    public void checkInvariants() {
        underAllLocks(held -> {
            checker().check(held, large);
            return null;
        });
    }

    /** A checker over the heap as it is now, with the runs whose system calls are under way; under the heap lock. */
    private HeapChecker checker() {
        return new HeapChecker(pages, arenas, os, pageShift, releaser.inFlight(), runs.readying(), growth.growing(),
                inside);
    }

    private <T> T underAllLocks(final java.util.function.Function<List<PageCache>, T> body) {
        final java.util.function.Function<List<PageCache>, T> locked = held -> {
            lock.lock();
            try {
                checkOpen();
                return body.apply(held);
            } finally {
                lock.unlock();
            }
        };
        return caches != null ? caches.withAllLocked(locked) : locked.apply(List.of());
    }

    /**
     * The first half of closing: refuses new work, ends Pagoda's own memory accesses, waits for system calls in
     * flight and destroys the caches. Holds no lock while it waits. Stop the scavenger first.
     *
     * @return true for the call that stopped the heap
     */
    public boolean stop() {
        if (gate.isShut()) {
            return false;
        }
        pressure.close(); // wakes allocations waiting for a round of reclaimers: their retries then fail
        if (!gate.close()) {
            return false;
        }
        memory.close();
        if (caches != null) {
            caches.close();
        }
        return true;
    }

    /** The second half of closing: unmaps every arena and large run, once. */
    public void unmap() {
        synchronized (gate) { // a leaf, as in CloseGate: only the flags; the unmapping runs after it
            if (unmapped || !gate.isShut()) {
                return;
            }
            unmapped = true;
        }
        try {
            for (final Arenas.Arena a : Locks.lockedGet(lock, arenas::all)) {
                os.free(a.base, arenaBytes);
            }
            large.freeAll();
        } finally {
            IN_USE.remove(os);
        }
    }

    /**
     * Whether the heap is closed or closing.
     *
     * @return true once {@link #stop()} has begun
     */
    public boolean isClosed() {
        return gate.isShut();
    }

    /**
     * Pagoda's own access to the memory.
     *
     * @return the fenced view
     */
    public InsideReleases insideReleases() {
        return inside;
    }

    public HeapMemory memory() {
        return memory;
    }

    /**
     * Throws if the heap is closed.
     *
     * @throws IllegalStateException if it is
     */
    public void checkOpen() {
        if (gate.isShut()) {
            throw CloseGate.closed();
        }
    }

    private static IllegalArgumentException notLive(final long address) {
        return new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is not the start of a live "
                + "run of this heap (an interior address, or freed already)");
    }

    /**
     * The engine's part: the OS layer.
     *
     * @return the OS layer
     */
    public OsMemory os() {
        return os;
    }

    /**
     * The engine's part: the page size in bytes.
     *
     * @return the page size in bytes
     */
    public long pageSize() {
        return pageSize;
    }

    /**
     * The engine's part: log2 of the page size.
     *
     * @return log2 of the page size
     */
    public int pageShift() {
        return pageShift;
    }

    /**
     * The engine's part: whether the heap zeroes what it hands out.
     *
     * @return whether the heap zeroes what it hands out
     */
    public boolean zeroing() {
        return zeroing;
    }

    /**
     * The engine's part: the heap's name.
     *
     * @return the heap's name
     */
    public String name() {
        return name;
    }

    /**
     * The engine's part: the huge-page policy in force.
     *
     * @return the huge-page policy in force
     */
    public HugePageReport hugePages() {
        return hugePages;
    }

    /**
     * The engine's part: the heap lock.
     *
     * @return the heap lock
     */
    public ReentrantLock lock() {
        return lock;
    }

    /**
     * The engine's part: the page allocator (guarded by the heap lock).
     *
     * @return the page allocator (guarded by the heap lock)
     */
    public PageAlloc pageAlloc() {
        return pages;
    }

    /**
     * The engine's part: the arenas.
     *
     * @return the arenas
     */
    public Arenas arenas() {
        return arenas;
    }

    /**
     * The engine's part: the reclaimers and the retry of allocations at the memory limit.
     *
     * @return the heap's memory pressure
     */
    public MemoryPressure pressure() {
        return pressure;
    }

    /**
     * The engine's part: the releaser: forced releases and the memory limit.
     *
     * @return the releaser: forced releases and the memory limit
     */
    public Releaser releaser() {
        return releaser;
    }
}
