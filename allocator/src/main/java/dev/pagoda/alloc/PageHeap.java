package dev.pagoda.alloc;

import dev.pagoda.alloc.monitor.ResidencyMeter;
import dev.pagoda.alloc.pageheap.PageHeapEngine;
import dev.pagoda.alloc.scavenge.BackgroundScavenger;
import dev.pagoda.alloc.scavenge.Scavenger;
import dev.pagoda.os.OsMemory;


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
 * OS refuses memory, {@code allocate} throws {@link PagodaOutOfMemoryError} and the heap stays usable; at the memory
 * limit it first releases free pages and asks the {@link #onMemoryPressure reclaimers}.
 *
 * <p><b>Threads.</b> All methods are thread-safe. Runs of up to 15 pages are served by
 * a per-thread page cache without the heap lock (platform threads only: virtual threads, which may
 * number millions, go to the heap directly), and a run freed by the thread whose cache it came from goes
 * back to that cache; a thread also keeps a few freed runs of 16 to 128 pages for its next request of the
 * same length. Any thread may free any run. A thread's cache is flushed back to the heap when the
 * thread ends and when {@link #releaseToOs()} runs. No system call is made while the heap lock is held.
 */
public final class PageHeap implements AutoCloseable {
    /** Everything but the scavenger: arenas, runs, caches, limit, close gate ({@link PageHeapEngine}). */
    private final PageHeapEngine engine;
    /** Releases free pages in the background and on {@link #scavenge()}, beside the engine. */
    private final Scavenger scavenger;
    /** Whether a {@link Heap} owns this page heap: it then refuses what would break the heap. */
    private final boolean owned;

    PageHeap(final PageHeapBuilder b, final boolean owned) {
        this.engine = new PageHeapEngine(b.config());
        this.owned = owned;
        this.scavenger = new Scavenger(engine, b.clock(), b.backgroundScavenger(), b.scavengerTrace(),
                b.memoryTarget(), b.scavengerMaxCpuPercent() / 100);
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
     * @throws PagodaOutOfMemoryError   if the address-space budget is exhausted, the OS refuses memory, or the
     *                                  memory limit is reached and its {@link Reclaimer}s cannot free enough
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocate(final long npages) {
        return allocate(npages, engine.zeroing());
    }

    /**
     * Allocates a run of pages, zeroed if {@code zeroed} is true.
     *
     * @param npages how many pages, at least 1
     * @param zeroed whether the run must read as zero; false skips zeroing where the pages may hold old data
     * @return the address of the run's first page, aligned to {@link #pageSize()}; never 0
     * @throws IllegalArgumentException if {@code npages} is not positive or the run's size overflows, or if
     *                                  {@code zeroed} is asked of a heap built with {@code zeroing(false)}
     * @throws PagodaOutOfMemoryError   if the address-space budget is exhausted, the OS refuses memory, or the
     *                                  memory limit is reached and its {@link Reclaimer}s cannot free enough
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocate(final long npages, final boolean zeroed) {
        refuseIfOwned("allocate");
        if (!engine.pressure().active()) {
            return engine.allocateRun(npages, zeroed); // no handler on the path of heaps without reclaimers
        }
        try {
            return engine.allocateRun(npages, zeroed);
        } catch (final PagodaOutOfMemoryError e) {
            return engine.pressure().retry(e, () -> engine.allocateRun(npages, zeroed));
        }
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
     * @throws PagodaOutOfMemoryError   if the address-space budget is exhausted, the OS refuses memory, or the
     *                                  memory limit is reached and its {@link Reclaimer}s cannot free enough
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocateAligned(final long npages, final long alignment) {
        refuseIfOwned("allocateAligned");
        if (!engine.pressure().active()) {
            return engine.allocateAlignedRun(npages, alignment);
        }
        try {
            return engine.allocateAlignedRun(npages, alignment);
        } catch (final PagodaOutOfMemoryError e) {
            return engine.pressure().retry(e, () -> engine.allocateAlignedRun(npages, alignment));
        }
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
        engine.freeRun(address);
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
        engine.checkOpen();
        return engine.runPages(address);
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
        return engine.releaseToOs();
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
        engine.checkOpen();
        return scavenger.cycle();
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
        engine.checkOpen();
        scavenger.memoryTarget(bytes);
    }

    /**
     * The huge-page policy in force and why.
     *
     * @return the report
     */
    public HugePageReport hugePages() {
        return engine.hugePages();
    }

    /**
     * The heap's name, as in the scavenger trace, JFR events and JMX.
     *
     * @return the name
     */
    public String name() {
        return engine.name();
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
        if ("simulated".equals(engine.os().port())) {
            throw new UnsupportedOperationException("a simulated OS has no resident memory to measure");
        }
        return ResidencyMeter.measure(engine.mappedRanges());
    }

    /**
     * Registers a reclaimer: when an allocation would pass the memory limit and releasing free pages is not
     * enough, the heap asks its reclaimers to free the bytes it lacks, then retries; the contract is
     * {@link Reclaimer}'s. A page heap that belongs to a {@link Heap} shares the heap's reclaimers.
     *
     * @param reclaimer what frees memory of this heap on demand
     * @return the registration; {@code close()} it to unregister
     * @throws NullPointerException  if {@code reclaimer} is null
     * @throws IllegalStateException if the heap is closed
     */
    public Reclaimer.Registration onMemoryPressure(final Reclaimer reclaimer) {
        engine.checkOpen();
        return engine.pressure().register(reclaimer);
    }

    /**
     * The hard limit on Ready bytes: an allocation that would make more memory Ready first releases free
     * pages, then asks the {@link Reclaimer}s, then fails with {@link PagodaOutOfMemoryError}.
     *
     * @return the limit in bytes; {@link Long#MAX_VALUE} for none
     */
    public long memoryLimit() {
        return engine.releaser().memoryLimit();
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
        engine.checkOpen();
        engine.releaser().memoryLimit(bytes);
    }

    /**
     * The heap's page size: every run is a multiple of it and aligned to it.
     *
     * @return the page size in bytes
     */
    public long pageSize() {
        return engine.pageSize();
    }

    /**
     * The OS-memory layer the heap runs on.
     *
     * @return the layer
     */
    public OsMemory os() {
        return engine.os();
    }

    /**
     * A consistent snapshot of the heap's memory.
     *
     * @return the statistics
     * @throws IllegalStateException if the heap is closed
     */
    public PageHeapStats stats() {
        return engine.stats(scavenger.stats());
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
        engine.checkInvariants();
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
            engine.unmap();
        }
    }

    /** The engine underneath, for the {@link Heap} that owns this page heap. */
    PageHeapEngine engine() {
        return engine;
    }

    /** Makes the scavenger run {@code hook} at the start of each generation (the Heap frees its empty spans). */
    void onScavengeGeneration(final Runnable hook) {
        scavenger.onGeneration(hook);
    }

    /**
     * The first half of closing: stops the scavenger (waiting for a step in progress, whose releases pass the close
     * gate), then the engine.
     *
     * @return true for the call that stopped the heap
     */
    boolean stop() {
        if (engine.isClosed()) {
            return false;
        }
        scavenger.close();
        if (scavenger.background()) {
            BackgroundScavenger.shared().unregister(scavenger);
        }
        return engine.stop();
    }

    private void refuseIfOwned(final String operation) {
        if (owned) {
            throw new UnsupportedOperationException("this page heap belongs to the Heap '" + engine.name() + "': "
                    + operation + " through it would break that heap; use the Heap's methods");
        }
    }
}
