package dev.pagoda.alloc;

import dev.pagoda.alloc.monitor.HeapMonitor;
import dev.pagoda.alloc.monitor.MonitoredHeap;
import dev.pagoda.alloc.pageheap.MemoryPressure;
import dev.pagoda.alloc.small.HeapEngine;
import dev.pagoda.os.OsMemory;

import java.lang.foreign.MemorySegment;


/**
 * An off-heap allocator for any size: small objects (up to 32 KiB) from
 * per-thread caches of size-class spans, larger ones as runs of whole pages from a {@link PageHeap}. Memory is
 * handed out zeroed unless the heap is built with {@code zeroing(false)}; addresses are plain {@code long}s.
 *
 * {@snippet :
 * try (Heap heap = Heap.create()) {
 *     long a = heap.allocate(100);          // zeroed; usableSize(a) == 112
 *     long b = heap.allocate(4096, 4096);   // 4 KiB aligned
 *     heap.free(a);
 *     heap.free(b);
 * }
 * }
 *
 * <p><b>Threads.</b> A platform thread allocates from its own cache without locks or atomic operations and
 * frees its own objects the same way; a free from another thread is one atomic OR on the object's span
 * (mimalloc's remote free) and is collected by the owner when its span runs dry. Virtual threads share a
 * bounded set of shard caches, so any number of them retain at most {@code shards × classes} spans. A
 * thread's cache is handed back when the thread ends. A {@link #local()} handle skips even the
 * thread-local lookup each of these calls makes.
 *
 * <p><b>Misuse.</b> {@link #free} of 0, of an address this heap never returned, of an interior address, or a
 * second free of the same address throws {@link IllegalArgumentException} and changes nothing; so do negative
 * or overflowing sizes and alignments that are not powers of two. Use after {@link #close()} throws
 * {@link IllegalStateException}. A double free is detected with one bit test as long as the object's memory has
 * not been handed out again (like every allocator without quarantine, a free of an address that now belongs to
 * a newer allocation frees that allocation); one that races a free of the same object on another thread is
 * caught once the first free is visible to the second thread.
 */
public final class Heap implements AutoCloseable {
    /** The page heap underneath, owned: its own allocate, free and close are refused. */
    private final PageHeap pages;
    /** Size classes, spans, thread caches, arenas and the order of closing ({@link HeapEngine}). */
    private final HeapEngine engine;
    /**
     * Queued spans the scavenger looks at per size class and generation: empty ones go back to the page heap, idle
     * mostly free ones give back their free OS pages. The queues rotate, so every span is seen in turn.
     */
    private static final int SPANS_PER_GENERATION = 256;
    /** The reclaimers, and the retry of an allocation that met the memory limit. */
    private final MemoryPressure pressure;
    /** The heap's MBean, null when built with {@code jmx(false)}. */
    private final HeapMonitor monitor;

    Heap(final HeapBuilder b) {
        final OsMemory os = b.pages().os() != null ? b.pages().os() : OsMemory.system();
        // 8 KiB pages, the size classes' tuning, unless the OS pages are larger (16 KiB on Apple silicon).
        this.pages = b.pages().os(os).pageSize(Math.max(8192, os.pageSize())).buildOwned();
        this.engine = new HeapEngine(pages.engine(), b.debug());
        pages.onScavengeGeneration(() -> engine.reclaimSpans(SPANS_PER_GENERATION, HeapEngine.Inside.IDLE));
        // Objects freed by reclaimers give their pages back only with their spans: return the emptied ones at once,
        // looking at twice as many queued spans per class as the round asked for pages (rounds ask twice as much
        // each time, so a later round looks further), not at every span of a large heap for each allocation.
        this.pressure = pages.engine().pressure();
        final int pageShift = pages.engine().pageShift();
        pressure.afterRound(asked -> engine.reclaimSpans((int) Math.min(Integer.MAX_VALUE,
                Math.max(SPANS_PER_GENERATION, 2 * (asked >>> pageShift))), HeapEngine.Inside.KEEP));
        this.monitor = b.jmx() ? HeapMonitor.register(new Monitored(this), () -> {
            engine.abandon();
            pages.stop();
            pages.engine().unmap();
        }) : null;
    }

    /**
     * A heap with the defaults: the OS port for this system, zeroing on.
     *
     * @return a new heap; nothing is reserved until the first allocation
     */
    public static Heap create() {
        return builder().build();
    }

    /**
     * A builder for a heap with other settings.
     *
     * @return a new builder
     */
    public static HeapBuilder builder() {
        return new HeapBuilder();
    }

    /**
     * Allocates {@code size} bytes, aligned to 16 bytes, zeroed unless the heap was built without zeroing.
     *
     * @param size the bytes wanted, at least 1
     * @return the address; never 0
     * @throws IllegalArgumentException if {@code size} is not positive or too large to round up
     * @throws PagodaOutOfMemoryError   if the heap's budget is exhausted, the OS refuses memory, or the memory
     *                                  limit is reached and its {@link Reclaimer}s cannot free enough
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocate(final long size) {
        // Without reclaimers the engine's path is the whole method: an exception handler around it costs the fast
        // path a few nanoseconds (measured: 11.5 to 14 ns for allocate and free of 64 B), so only heaps that have
        // reclaimers take the guarded path, which the JIT then compiles on its own.
        return pressure.active() ? allocateGuarded(size) : engine.allocate(size);
    }

    /** {@link #allocate(long)} on a heap with reclaimers: a failure at the memory limit asks them, then retries. */
    private long allocateGuarded(final long size) {
        try {
            return engine.allocate(size);
        } catch (final PagodaOutOfMemoryError e) {
            return retry(e, size);
        }
    }

    /**
     * Allocates {@code size} bytes aligned to {@code alignment}.
     *
     * @param size      the bytes wanted, at least 1
     * @param alignment a power of two; up to the page size it costs nothing extra; above it the run is cut
     *                  from a slightly longer page run (from the thread's page cache for up to 15 pages aligned
     *                  to up to 64 pages), and above a quarter arena it gets its own aligned reservation
     * @return the address, a multiple of {@code alignment}; never 0
     * @throws IllegalArgumentException if {@code size} is not positive or {@code alignment} not a power of two
     * @throws PagodaOutOfMemoryError   if the heap's budget is exhausted, the OS refuses memory, or the memory
     *                                  limit is reached and its {@link Reclaimer}s cannot free enough
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocate(final long size, final long alignment) {
        if (!pressure.active()) {
            return engine.allocate(size, alignment);
        }
        try {
            return engine.allocate(size, alignment);
        } catch (final PagodaOutOfMemoryError e) {
            return retry(e, size, alignment);
        }
    }

    /** The slow path of {@link #allocate(long)}, out of line: relieves the pressure behind {@code failure}, retries. */
    private long retry(final PagodaOutOfMemoryError failure, final long size) {
        return pressure.retry(failure, () -> engine.allocate(size));
    }

    /** The slow path of {@link #allocate(long, long)}, out of line. */
    private long retry(final PagodaOutOfMemoryError failure, final long size, final long alignment) {
        return pressure.retry(failure, () -> engine.allocate(size, alignment));
    }

    /**
     * Frees the allocation at {@code address}.
     *
     * @param address an address returned by {@link #allocate} and not freed since
     * @throws IllegalArgumentException if {@code address} is 0, was not returned by this heap, is interior to an
     *                                  allocation, or was freed already
     * @throws IllegalStateException    if the heap is closed
     */
    public void free(final long address) {
        engine.free(address);
    }

    /**
     * The bytes usable at {@code address}: the size class, or the whole pages of a page run.
     *
     * @param address an address returned by {@link #allocate} and not freed since
     * @return at least the size asked for
     * @throws IllegalArgumentException if {@code address} is not a live allocation of this heap
     * @throws IllegalStateException    if the heap is closed
     */
    public long usableSize(final long address) {
        return engine.usableSize(address);
    }

    /**
     * Resizes an allocation: returns {@code address} itself if the new size fits where it is, else a new
     * allocation holding the old contents, after freeing the old one. Beyond the old usable size the new
     * allocation reads as zero on a zeroing heap (the default); on a heap built with {@code zeroing(false)} those
     * bytes hold whatever the memory held before, as with {@code realloc}.
     *
     * @param address an address returned by {@link #allocate} and not freed since
     * @param newSize the bytes wanted, at least 1
     * @return the address of the resized allocation
     * @throws IllegalArgumentException      if {@code address} is not a live allocation or {@code newSize} not
     *                                       positive
     * @throws PagodaOutOfMemoryError        if no memory is left (at the memory limit: after the {@link Reclaimer}s
     *                                       could not free enough); the old allocation is then unchanged
     * @throws IllegalStateException         if the heap is closed (or closes during the copy: the new allocation
     *                                       is then gone with the heap, and nothing was written to unmapped memory)
     * @throws UnsupportedOperationException if the allocation must move on a simulated OS, which has no memory to
     *                                       copy
     */
    public long reallocate(final long address, final long newSize) {
        if (!pressure.active()) {
            return engine.reallocate(address, newSize);
        }
        try {
            return engine.reallocate(address, newSize);
        } catch (final PagodaOutOfMemoryError e) {
            return pressure.retry(e, () -> engine.reallocate(address, newSize));
        }
    }

    /**
     * Registers a reclaimer: eviction before failure. When an allocation would pass the memory limit and releasing
     * the heap's free pages is not enough, the heap asks its reclaimers to free at least the bytes it lacks (a cache
     * evicts entries and frees them through this heap), gives the spans they emptied back to its pages, retries the
     * allocation, and fails with {@link PagodaOutOfMemoryError} only if that is not enough. The contract (threads,
     * re-entrancy, failures) is {@link Reclaimer}'s. Allocations through {@link #allocate}, {@link #reallocate} and
     * the page heap ask reclaimers; those made through a {@link LocalHeap} handle or the segments of
     * {@link #newArena()} do not yet, and fail at the limit as before.
     *
     * {@snippet :
     * Reclaimer.Registration r = heap.onMemoryPressure(wanted -> cache.evict(wanted));  // returns bytes freed
     * // ...
     * r.close();                                                                          // unregisters it
     * }
     *
     * @param reclaimer what frees memory of this heap on demand
     * @return the registration; {@code close()} it to unregister
     * @throws NullPointerException  if {@code reclaimer} is null
     * @throws IllegalStateException if the heap is closed
     */
    public Reclaimer.Registration onMemoryPressure(final Reclaimer reclaimer) {
        engine.checkOpen();
        return pressure.register(reclaimer);
    }

    /**
     * A handle bound to the calling thread, the fastest way to allocate and free: no thread-local lookup, no lock,
     * no atomic operation on its hot path ({@link LocalHeap}). Works on platform and virtual threads.
     *
     * {@snippet :
     * try (LocalHeap local = heap.local()) {
     *     long a = local.allocate(64);
     *     local.free(a);
     * }
     * }
     *
     * @return a new handle for this thread
     * @throws IllegalStateException if the heap is closed
     */
    public LocalHeap local() {
        return new LocalHeap(engine, pressure);
    }

    /**
     * A confined {@link java.lang.foreign.Arena} whose segments come from this heap: allocation is the heap's
     * (zeroed unless the heap skips zeroing), and {@code close()} frees them all at once. Access through a
     * segment after close fails with the JDK's own {@link IllegalStateException}; other threads are refused.
     *
     * {@snippet :
     * try (Arena arena = heap.newArena()) {
     *     MemorySegment a = arena.allocate(64);
     *     MemorySegment b = arena.allocate(ValueLayout.JAVA_LONG, 16);
     * }   // both go back to the heap here
     * }
     *
     * @return a new confined arena
     * @throws IllegalStateException if the heap is closed
     */
    public java.lang.foreign.Arena newArena() {
        return engine.newArena(false);
    }

    /**
     * A shared {@link java.lang.foreign.Arena} whose segments come from this heap and may be used and allocated
     * by any thread; like {@link #newArena()} otherwise. Closing a shared arena costs the JDK a handshake with
     * every thread (tens of microseconds): use it for long-lived groups of allocations.
     *
     * @return a new shared arena
     * @throws IllegalStateException if the heap is closed
     */
    public java.lang.foreign.Arena newSharedArena() {
        return engine.newArena(true);
    }

    /**
     * Gives free memory back to the OS: spans with no live object go back to the page heap, whose free pages
     * are then released ({@link PageHeap#releaseToOs()}). Spans held by live threads' caches stay.
     *
     * @return the bytes released
     * @throws IllegalStateException if the heap is closed (also when it closes while the release runs)
     */
    public long releaseToOs() {
        final long inside = engine.reclaimSpans(Integer.MAX_VALUE, HeapEngine.Inside.ALL);
        return inside + pages.releaseToOs();
    }

    /**
     * Runs one scavenger cycle now in the calling thread, after giving spans with no live object back to the
     * page heap ({@link PageHeap#scavenge()}): for programs that turn the background scavenger off.
     *
     * @return the bytes released
     * @throws IllegalStateException if the heap is closed
     */
    public long scavenge() {
        engine.checkOpen();
        final long inside = engine.reclaimSpans(Integer.MAX_VALUE, HeapEngine.Inside.IDLE);
        return inside + pages.scavenge();
    }

    /**
     * The soft target on Ready bytes the scavenger works toward ({@link PageHeap#memoryTarget()}).
     *
     * @return the target; {@link Long#MAX_VALUE} for none
     */
    public long memoryTarget() {
        return pages.memoryTarget();
    }

    /**
     * Changes the soft target on Ready bytes at run time ({@link PageHeap#memoryTarget(long)}).
     *
     * @param bytes the new target, positive; {@link Long#MAX_VALUE} for none
     * @throws IllegalArgumentException if {@code bytes} is not positive
     * @throws IllegalStateException    if the heap is closed
     */
    public void memoryTarget(final long bytes) {
        engine.checkOpen();
        pages.memoryTarget(bytes);
    }

    /**
     * The hard limit on Ready bytes ({@link PageHeap#memoryLimit()}).
     *
     * @return the limit; {@link Long#MAX_VALUE} for none
     */
    public long memoryLimit() {
        return pages.memoryLimit();
    }

    /**
     * The huge-page policy in force and why ({@link PageHeap#hugePages()}).
     *
     * @return the report
     */
    public HugePageReport hugePages() {
        return pages.hugePages();
    }

    /**
     * Measures the heap's resident memory and its huge-page coverage ({@link PageHeap#residency()}).
     *
     * @return the measurement
     * @throws IllegalStateException         if the heap is closed
     * @throws UnsupportedOperationException on a simulated OS
     */
    public HeapResidency residency() {
        return pages.residency();
    }

    /**
     * The heap's name in the scavenger trace, JFR events and JMX.
     *
     * @return the name
     */
    public String name() {
        return pages.name();
    }

    /**
     * A snapshot of the heap's memory and, per size class, its spans and objects. The page figures are exact;
     * the per-class counters are read from the caches of running threads without stopping them, so they are
     * exact only when no thread is allocating or freeing.
     *
     * @return the statistics
     * @throws IllegalStateException if the heap is closed
     */
    public HeapStats stats() {
        return engine.stats(pages.stats(), pages.memoryLimit());
    }

    /**
     * Changes the hard limit on Ready bytes at run time ({@link PageHeap#memoryLimit(long)}).
     *
     * @param bytes the new limit, positive; {@link Long#MAX_VALUE} for none
     * @throws IllegalArgumentException if {@code bytes} is not positive
     * @throws IllegalStateException    if the heap is closed
     */
    public void memoryLimit(final long bytes) {
        engine.checkOpen();
        pages.memoryLimit(bytes);
    }

    /**
     * Checks the page heap's invariants ({@link PageHeap#checkInvariants()}).
     *
     * @throws IllegalStateException describing the first violation, or if the heap is closed
     */
    public void checkInvariants() {
        pages.checkInvariants();
    }

    /**
     * The page heap underneath, for its statistics, invariant checks, limits and releases. It belongs to this heap:
     * its {@code allocate}, {@code allocateAligned}, {@code free} and {@code close} throw
     * {@link UnsupportedOperationException}, because pages taken or freed behind the heap's back would break it.
     *
     * @return the page heap
     */
    public PageHeap pageHeap() {
        return pages;
    }

    /**
     * Closes the heap and gives its memory back to the OS. Idempotent.
     *
     * <p>Calls racing it on other threads complete or fail with {@link IllegalStateException}; none of Pagoda's
     * own writes (zeroing, copying, poisoning) lands on unmapped memory. Segments of an arena from
     * {@link #newArena()} or {@link #newSharedArena()} that is still open keep working: the heap's memory stays
     * mapped until the last such arena is closed (or, never closed, has become unreachable), and is unmapped then.
     * No new arena, allocation or free is accepted after {@code close()} begins.
     *
     * <p>Raw addresses are the caller's responsibility: an address from {@link #allocate} used after it was freed or
     * after the heap was closed is a use after free, which Pagoda cannot detect and which may crash the process,
     * exactly as with {@code malloc}. Access through a {@link MemorySegment} of an arena never crashes: it works,
     * or fails with the JDK's {@link IllegalStateException} once its arena is closed.
     */
    @Override
    public void close() {
        if (monitor != null) {
            monitor.closing(); // the final figures to JMX listeners, read while the heap still answers; sent once
        }
        if (!engine.beginClose()) {
            return;
        }
        try {
            engine.reportLeaks();
        } finally {
            if (monitor != null) {
                monitor.unregister();
            }
            pages.stop();
            engine.finishClose();
        }
    }

    /**
     * The allocations not yet freed, with the stack of the thread that made each: the leak report of a heap built
     * with {@code debug(true)}.
     *
     * @return a snapshot, in no particular order
     * @throws IllegalStateException if the heap was not built with {@code debug(true)}
     */
    public java.util.List<LiveAllocation> liveAllocations() {
        return engine.liveAllocations();
    }

    /** What the heap's MBean reads and does, without the monitor knowing the {@code Heap}. */
    private record Monitored(Heap heap) implements MonitoredHeap {
        @Override
        public String name() {
            return heap.name();
        }

        @Override
        public PageHeapStats pageStats() {
            return heap.pages.stats();
        }

        @Override
        public java.util.List<SizeClassStats> sizeClasses() {
            return heap.stats().classes();
        }

        @Override
        public long memoryLimit() {
            return heap.memoryLimit();
        }

        @Override
        public void memoryLimit(final long bytes) {
            heap.memoryLimit(bytes);
        }

        @Override
        public long memoryTarget() {
            return heap.memoryTarget();
        }

        @Override
        public void memoryTarget(final long bytes) {
            heap.memoryTarget(bytes);
        }

        @Override
        public HugePageReport hugePages() {
            return heap.hugePages();
        }

        @Override
        public HeapResidency residency() {
            return "simulated".equals(heap.pages.os().port()) ? null : heap.residency();
        }

        @Override
        public long releaseToOs() {
            return heap.releaseToOs();
        }
    }
}
