package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
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
 * back to that cache; a thread also keeps a few freed runs of 16 to 128 pages for its next request of the
 * same length. Any thread may free any run. A thread's cache is flushed back to the heap when the
 * thread ends and when {@link #releaseToOs()} runs. No system call is made while the heap lock is held.
 */
public final class PageHeap implements AutoCloseable {
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
    private final Scavenger scavenger;
    /** Shut by {@link #close()}: system-call sequences in flight finish first ({@link CloseGate}). */
    private final CloseGate gate = new CloseGate();
    /** Pagoda's own reads and writes of the heap's memory, fenced against close ({@link HeapMemory}). */
    private final HeapMemory memory = new HeapMemory();
    /** The {@link Heap} this page heap serves, or null: a Heap's page heap refuses what would break the Heap. */
    private volatile String owner;
    /** Whether the memory was given back (close, or the owning Heap's last arena closing). */
    private boolean unmapped;
    private static final AtomicInteger NAMES = new AtomicInteger();
    /**
     * The OS-memory layers that back an open heap. A heap's limit, statistics and invariant checks read the layer's
     * own counters, so a layer serves one heap at a time; a second heap on it is refused.
     */
    private static final java.util.Set<OsMemory> IN_USE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    PageHeap(final PageHeapBuilder b) {
        this.os = b.os() != null ? b.os() : OsMemory.system();
        this.pageSize = b.pageSize();
        if (pageSize < os.pageSize()) {
            throw new IllegalArgumentException("pageSize must be at least the OS page size " + os.pageSize()
                    + ": pageSize=" + pageSize);
        }
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
        this.chunkBytes = pageSize * PageAlloc.CHUNK_PAGES;
        this.arenaBytes = b.arenaBytes();
        if (arenaBytes < chunkBytes) {
            throw new IllegalArgumentException("arenaBytes must be at least a chunk of " + PageAlloc.CHUNK_PAGES
                    + " pages (" + chunkBytes + " bytes): arenaBytes=" + arenaBytes);
        }
        this.budget = new AddressBudget(b.budget());
        this.zeroing = b.zeroing();
        if (zeroing && "simulated".equals(os.port())) {
            throw new IllegalArgumentException("a simulated OsMemory has no memory behind its addresses: build the "
                    + "heap with zeroing(false)");
        }
        if (!IN_USE.add(os)) {
            throw new IllegalArgumentException("this OsMemory already backs an open heap, and a heap's limit, "
                    + "statistics and checks read its counters: give each heap its own (OsMemory.system() returns "
                    + "a new one on every call)");
        }
        this.name = b.name() != null ? b.name() : "heap-" + NAMES.incrementAndGet();
        this.hugePages = HugePageReport.resolve(os, b.hugePages());
        this.arenas = new Arenas(pageShift, Long.numberOfTrailingZeros(arenaBytes));
        this.releaser = new Releaser(lock, pages, arenas, os, name, pageShift, b.memoryLimit(), gate);
        releaser.keepHugePages(hugePages.hugePagesInPlay());
        this.large = new LargeRuns(os, b.guardPages(), budget, releaser, hugePages, gate);
        this.growth = new HeapGrowth(lock, pages, arenas, os, budget, arenaBytes, chunkBytes, gate,
                hugePages, name);
        this.runs = new RunAllocator(lock, pages, arenas, os, budget, releaser, growth, pageShift, b.pageCaches(),
                gate, memory);
        this.caches = runs.caches;
        if (caches != null) {
            releaser.flushCaches(caches::flushAll);
        }
        this.scavenger = new Scavenger(name, lock, pages, arenas, releaser, os, pageShift, b.clock(), b, hugePages);
        if (scavenger.background()) {
            BackgroundScavenger.shared().register(scavenger);
        }
    }

    /**
     * A builder with the defaults: the OS port for this system, 8 KiB pages (or the OS page where larger), 64 MiB arenas, a 256 GiB
     * address-space budget, zeroing on, per-thread page caches on.
     *
     * @return a new builder
     */
    public static PageHeapBuilder builder() {
        return new PageHeapBuilder();
    }

    /**
     * Allocates a run of pages, zeroed unless the heap was built with {@code zeroing(false)}.
     *
     * @param npages how many pages, at least 1
     * @return the address of the run's first page, aligned to {@link #pageSize()}; never 0
     * @throws IllegalArgumentException if {@code npages} is not positive or the run's size overflows
     * @throws PagodaOutOfMemoryError   if the address-space budget is exhausted or the OS refuses memory
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocate(final long npages) {
        refuseIfOwned("allocate");
        return allocateRun(npages, zeroing);
    }

    /**
     * Allocates a run of pages, zeroed if {@code zeroed} is true.
     *
     * @param npages how many pages, at least 1
     * @param zeroed whether the run must read as zero; false skips zeroing where the pages may hold old data
     * @return the address of the run's first page, aligned to {@link #pageSize()}; never 0
     * @throws IllegalArgumentException if {@code npages} is not positive or the run's size overflows, or if
     *                                  {@code zeroed} is asked of a heap built with {@code zeroing(false)}
     * @throws PagodaOutOfMemoryError   if the address-space budget is exhausted or the OS refuses memory
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocate(final long npages, final boolean zeroed) {
        refuseIfOwned("allocate");
        return allocateRun(npages, zeroed);
    }

    /** {@link #allocate(long, boolean)} for the owning {@link Heap}. */
    long allocateRun(final long npages, final boolean zeroed) {
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

    /**
     * Allocates a run of zeroed pages (unless built without zeroing) whose address is a multiple of
     * {@code alignment}. Up to the page size every run qualifies; up to a quarter arena the run is cut from a
     * longer run of the page allocator (the pages before and after it stay free), and above that it gets its own
     * aligned reservation, as a large run does.
     *
     * @param npages    how many pages, at least 1
     * @param alignment a power of two
     * @return the address of the run, a multiple of {@code alignment}
     * @throws IllegalArgumentException if {@code npages} is not positive or {@code alignment} not a power of two
     * @throws PagodaOutOfMemoryError   if the address-space budget is exhausted or the OS refuses memory
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocateAligned(final long npages, final long alignment) {
        refuseIfOwned("allocateAligned");
        return allocateAlignedRun(npages, alignment);
    }

    /** {@link #allocateAligned} for the owning {@link Heap}. */
    long allocateAlignedRun(final long npages, final long alignment) {
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

    /**
     * Frees the run that starts at {@code address}.
     *
     * @param address an address returned by {@link #allocate} and not freed since
     * @throws IllegalArgumentException if {@code address} is not the start of a live run of this heap
     * @throws IllegalStateException    if the heap is closed
     */
    public void free(final long address) {
        refuseIfOwned("free");
        freeRun(address);
    }

    /** {@link #free} for the owning {@link Heap}. */
    void freeRun(final long address) {
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

    /**
     * The length in pages of the live run that starts at {@code address}.
     *
     * @param address an address returned by {@link #allocate} and not freed since
     * @return the run's length in pages
     * @throws IllegalArgumentException if {@code address} is not the start of a live run of this heap
     * @throws IllegalStateException    if the heap is closed
     */
    public long pages(final long address) {
        checkOpen();
        return runPages(address);
    }

    /** {@link #pages} without the open check: the owning {@link Heap}'s leak report runs while it closes. */
    long runPages(final long address) {
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

    /** The arena holding {@code address}, or null. Lock-free, for the {@link Heap}'s span lookup. */
    Arenas.Arena arenaOf(final long address) {
        return arenas.ofAddress(address);
    }

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
        if (caches != null) {
            caches.flushAll();
        }
        return releaser.releaseFree();
    }

    /**
     * Runs one scavenger cycle now, in the calling thread and unpaced: what the background scavenger does
     * (release free resident pages, highest first, until retained memory meets the goal, leaving recently dense
     * chunks and mostly used huge pages alone), for programs that turn the background scavenger off and choose
     * their own moments. Unlike {@link #releaseToOs()} it keeps the goal's 10% headroom and the caches.
     *
     * @return the bytes released (or, under {@link HugePagePolicy#COLLAPSE}, released and collapsed)
     * @throws IllegalStateException if the heap is closed
     */
    public long scavenge() {
        checkOpen();
        return scavenger.cycle();
    }

    /** Makes the scavenger run {@code hook} at the start of each generation (the Heap frees its empty spans). */
    void onScavengeGeneration(final Runnable hook) {
        scavenger.onGeneration(hook);
    }

    /**
     * The soft target on Ready bytes that the scavenger works toward (95% of it), {@link Long#MAX_VALUE} if none.
     *
     * @return the target in bytes
     */
    public long memoryTarget() {
        return scavenger.memoryTarget();
    }

    /**
     * Changes the soft target on Ready bytes, at any time; lowering it wakes the background scavenger.
     * Allocation never fails because of it (that is {@link #memoryLimit(long)}'s job).
     *
     * @param bytes the new target, positive; {@link Long#MAX_VALUE} for none
     * @throws IllegalArgumentException if {@code bytes} is not positive
     * @throws IllegalStateException    if the heap is closed
     */
    public void memoryTarget(final long bytes) {
        checkOpen();
        scavenger.memoryTarget(bytes);
    }

    /**
     * The huge-page policy in force and why.
     *
     * @return the report
     */
    public HugePageReport hugePages() {
        return hugePages;
    }

    /**
     * The heap's name, as in the scavenger trace, JFR events and JMX.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Measures how much of the heap is resident and how much of that is backed by huge pages (see
     * {@link HeapResidency} for the cost).
     *
     * @return the measurement
     * @throws IllegalStateException         if the heap is closed
     * @throws UnsupportedOperationException if the heap runs on a simulated OS, which has no memory to measure
     */
    public HeapResidency residency() {
        if ("simulated".equals(os.port())) {
            throw new UnsupportedOperationException("a simulated OS has no resident memory to measure");
        }
        final long[] mapped = Locks.lockedGet(lock, () -> {
            checkOpen();
            return arenas.grownRanges(chunkBytes);
        });
        return HeapResidency.measure(mapped, large.ranges());
    }

    /**
     * The hard limit on Ready bytes: an allocation that would make more memory Ready first releases free
     * pages, then fails with {@link PagodaOutOfMemoryError}.
     *
     * @return the limit in bytes; {@link Long#MAX_VALUE} for none
     */
    public long memoryLimit() {
        return releaser.memoryLimit();
    }

    /**
     * Changes the hard limit on Ready bytes, at any time. Lowering it below the current Ready bytes frees
     * nothing by itself; allocations that need new Ready memory then fail until enough is freed.
     *
     * @param bytes the new limit, positive; {@link Long#MAX_VALUE} for none
     * @throws IllegalArgumentException if {@code bytes} is not positive
     * @throws IllegalStateException    if the heap is closed
     */
    public void memoryLimit(final long bytes) {
        checkOpen();
        releaser.memoryLimit(bytes);
    }


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
     * @throws IllegalStateException if the heap is closed
     */
    public PageHeapStats stats() {
        return underAllLocks(held -> checker().stats(held, large, scavenger.stats()));
    }

    /**
     * Checks every invariant of the heap against its own structures and the OS layer: the page allocator's
     * summaries and counters; live runs lie in allocated pages and account for every allocated page outside
     * the caches; allocated and free resident pages are Ready, released pages Prepared, ungrown arena space
     * Reserved; and the accounting equations of {@link PageHeapStats}. For tests and debugging: it holds the
     * heap lock and every cache's lock for time proportional to the heap. It may be called at any time, from any
     * thread, while other threads allocate, free, end, or call it too: it never reports a violation that a
     * correct heap can show (system calls under way are allowed for, see the package documentation).
     *
     * @throws IllegalStateException describing the first violation, or if the heap is closed
     */
    public void checkInvariants() {
        underAllLocks(held -> {
            checker().check(held, large);
            return null;
        });
    }

    /** A checker over the heap as it is now, with the runs whose system calls are under way; under the heap lock. */
    private HeapChecker checker() {
        return new HeapChecker(pages, arenas, os, pageShift, releaser.inFlight(), runs.readying(), growth.growing());
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
     * Closes the heap and gives all of its memory back to the OS at once. Calls racing it on other threads either
     * complete or fail with {@link IllegalStateException}: system calls in flight finish first, and Pagoda's own
     * accesses to the memory (zeroing) are fenced by a JDK arena handshake, so none of them lands on unmapped
     * memory. Addresses handed out before are invalid afterwards: touching one is the caller's error and may crash
     * the process, as with {@code free(3)} followed by a use. Idempotent.
     *
     * @throws UnsupportedOperationException if this page heap belongs to a {@link Heap}: close the {@code Heap}
     */
    @Override
    public void close() {
        refuseIfOwned("close");
        if (stop()) {
            unmap();
        }
    }

    /**
     * The first half of closing: refuses new work, ends Pagoda's own memory accesses, waits for system calls in
     * flight, stops the scavenger and destroys the caches. Holds no lock while it waits.
     *
     * @return true for the call that stopped the heap
     */
    boolean stop() {
        if (gate.isShut()) {
            return false;
        }
        // The scavenger first: close() waits for a step in progress, whose releases pass the gate.
        scavenger.close();
        if (scavenger.background()) {
            BackgroundScavenger.shared().unregister(scavenger);
        }
        if (!gate.close()) {
            return false;
        }
        memory.close();
        if (caches != null) {
            caches.close();
        }
        return true;
    }

    /**
     * The second half of closing: unmaps every arena and large run, once. The owning {@link Heap} calls it when
     * the last of its open arenas is closed, so no segment of an open arena ever loses its memory.
     */
    void unmap() {
        synchronized (gate) {
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

    /** Makes this the page heap of the {@link Heap} named {@code heap}: it refuses what would break that heap. */
    void ownedBy(final String heap) {
        this.owner = heap;
    }

    /** Whether the heap is closed or closing. */
    boolean isClosed() {
        return gate.isShut();
    }

    /** Pagoda's own access to the memory ({@link HeapMemory}). */
    HeapMemory memory() {
        return memory;
    }

    private void refuseIfOwned(final String operation) {
        final String heap = owner;
        if (heap != null) {
            throw new UnsupportedOperationException("this page heap belongs to the Heap '" + heap + "': " + operation
                    + " through it would break that heap; use the Heap's methods");
        }
    }

    private static IllegalArgumentException notLive(final long address) {
        return new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is not the start of a live "
                + "run of this heap (an interior address, or freed already)");
    }

    private void checkOpen() {
        if (gate.isShut()) {
            throw CloseGate.closed();
        }
    }
}
