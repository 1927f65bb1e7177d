package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;
import dev.pagoda.os.ThreadSlot;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * An off-heap allocator for any size: small objects (up to {@value SizeClasses#MAX_SIZE} bytes) from
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
 * thread's cache is handed back when the thread ends.
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

    private final PageHeap pages;
    private final long pageSize;
    private final int pageShift;
    private final boolean zeroing;
    /** Spans with free objects and no owner, per size class. */
    private final List<ConcurrentLinkedQueue<Span>> partial = new ArrayList<>(SizeClasses.COUNT);
    private final ThreadSlot<ThreadCache> caches;
    private final ThreadCache[] shards;
    private final HeapCounters counters;
    private final SpanTable spans;
    private volatile boolean closed;
    /** Pagoda's own reads and writes of the memory, fenced against close (the page heap's {@link HeapMemory}). */
    private final HeapMemory memory;
    /** Whether the OS layer is simulated: no memory behind the addresses, so nothing may be read or written. */
    private final boolean simulated;
    /**
     * The arenas ({@link #newArena()}, {@link #newSharedArena()}) not yet closed, in the low bits, and two flags:
     * {@link #CLOSING} once {@link #close()} has begun (no new arena), {@link #STOPPED} once the page heap has
     * stopped. The memory is unmapped by whichever of {@code close()} and the last arena's close makes the state
     * exactly {@code CLOSING | STOPPED}, so no segment of an open arena ever loses its memory.
     */
    private final java.util.concurrent.atomic.AtomicInteger arenaState = new java.util.concurrent.atomic.AtomicInteger();
    private static final int CLOSING = 1 << 30;
    private static final int STOPPED = 1 << 29;
    private static final int COUNT = STOPPED - 1;
    /** Debug mode (null when off): poison, use-after-free checks, allocation sites, leak report. */
    private final HeapDebug debug;
    /** The heap's MBean, null when built with {@code jmx(false)}. */
    private final HeapMonitor monitor;

    Heap(final HeapBuilder b) {
        final OsMemory os = b.pages().os() != null ? b.pages().os() : OsMemory.system();
        this.simulated = "simulated".equals(os.port());
        // 8 KiB pages, the size classes' tuning, unless the OS pages are larger (16 KiB on Apple silicon).
        this.pages = b.pages().os(os).pageSize(Math.max(8192, os.pageSize())).build();
        this.pageSize = pages.pageSize();
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
        this.zeroing = b.pages().zeroing();
        this.memory = pages.memory();
        pages.ownedBy(pages.name());
        this.debug = b.debug() ? new HeapDebug(memory) : null;
        this.counters = new HeapCounters(pageSize);
        this.spans = new SpanTable(pages, counters);
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            partial.add(new ConcurrentLinkedQueue<>());
        }
        this.caches = ThreadSlot.create("pagoda-heap-cache", () -> counters.live(new ThreadCache(false)),
                this::retire);
        this.shards = new ThreadCache[Math.max(2, 2 * Runtime.getRuntime().availableProcessors())];
        for (int i = 0; i < shards.length; i++) {
            shards[i] = counters.live(new ThreadCache(true));
        }
        pages.onScavengeGeneration(() -> reclaimEmptySpans(16));
        this.monitor = b.jmx() ? HeapMonitor.register(this, () -> {
            caches.close();
            pages.stop();
            pages.unmap();
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
     * @throws PagodaOutOfMemoryError   if the heap's budget is exhausted or the OS refuses memory
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocate(final long size) {
        checkOpen();
        if (size <= 0 || size > Long.MAX_VALUE - pageSize) {
            throw new IllegalArgumentException("size must be between 1 and " + (Long.MAX_VALUE - pageSize)
                    + ": size=" + size);
        }
        final long address = size <= SizeClasses.MAX_SIZE ? allocateSmall(SizeClasses.classOf(size), size)
                : pages.allocateRun((size + pageSize - 1) / pageSize, zeroing);
        return debug != null ? debug.record(address) : address;
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
     * @throws PagodaOutOfMemoryError   if the heap's budget is exhausted or the OS refuses memory
     * @throws IllegalStateException    if the heap is closed
     */
    public long allocate(final long size, final long alignment) {
        checkOpen();
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: alignment=" + alignment);
        }
        if (alignment <= 16) {
            return allocate(size);
        }
        final long address = allocateAligned(size, alignment);
        return debug != null ? debug.record(address) : address;
    }

    private long allocateAligned(final long size, final long alignment) {
        if (size <= 0 || size > Long.MAX_VALUE - Math.max(alignment, pageSize)) {
            throw new IllegalArgumentException("size must be positive and leave room for the alignment: size="
                    + size + ", alignment=" + alignment);
        }
        if (alignment <= pageSize) {
            final long rounded = (size + alignment - 1) & -alignment;
            if (rounded <= SizeClasses.MAX_SIZE) {
                // Spans start on page boundaries, so a class whose size is a multiple of the alignment
                // hands out aligned objects only.
                for (int c = SizeClasses.classOf(rounded); c < SizeClasses.COUNT; c++) {
                    if (SizeClasses.size(c) % alignment == 0) {
                        return allocateSmall(c, size);
                    }
                }
            }
            return pages.allocateRun((size + pageSize - 1) / pageSize, zeroing);
        }
        return pages.allocateAlignedRun((size + pageSize - 1) / pageSize, alignment);
    }

    private long allocateSmall(final int c, final long requested) {
        final ThreadCache cache = Thread.currentThread().isVirtual() ? lockShard() : caches.get();
        try {
            Span span = cache.current[c];
            int i = span == null ? -1 : span.allocate();
            if (i < 0) {
                span = refill(cache, c);
                i = span.allocate();
            }
            final boolean fresh = i >= span.freshIndex;
            if (fresh) {
                span.freshIndex = i + 1;
            }
            final long address = span.base + (long) i * span.size;
            if (debug != null && !fresh) {
                debug.checkPoison(span, i, address); // throws on a write after free, quarantining the object
            }
            cache.allocs[c]++;
            cache.rounding[c] += span.size - requested;
            if (zeroing && !fresh) {
                memory.zero(address, span.size);
            }
            return address;
        } finally {
            if (cache.lock != null) {
                cache.lock.unlock();
            }
        }
    }

    private ThreadCache lockShard() {
        final int start = (int) (Thread.currentThread().threadId() % shards.length);
        for (int k = 0; k < shards.length; k++) {
            final ThreadCache shard = shards[(start + k) % shards.length];
            if (shard.lock.tryLock()) {
                return shard;
            }
        }
        final ThreadCache shard = shards[start];
        shard.lock.lock();
        return shard;
    }

    /** Finds the cache a span with a free object of class {@code c}: remote frees, the partial list, or new pages. */
    private Span refill(final ThreadCache cache, final int c) {
        final Span old = cache.current[c];
        if (old != null) {
            if (old.collect() > 0) {
                return old;
            }
            detach(old);
            cache.current[c] = null;
        }
        for (Span s; (s = partial.get(c).poll()) != null; ) {
            s.unmarkQueued();
            if (!s.claim(cache)) {
                continue;
            }
            s.collect();
            if (s.localFree > 0) {
                cache.current[c] = s;
                return s;
            }
            detach(s);
        }
        final long npages = SizeClasses.spanPages(c);
        final long base = pages.allocateRun(npages, zeroing);
        final Span s = new Span(base, c, npages, pageSize);
        s.owner(cache);
        spans.index(base, npages, s);
        counters.spanAdded(c, npages);
        cache.current[c] = s;
        return s;
    }

    /** Lets go of a span; queues it if it has free objects so that another cache can take it. */
    private void detach(final Span s) {
        s.owner(null);
        if ((s.localFree > 0 || s.hasRemote()) && s.markQueued()) {
            partial.get(s.sizeClass).add(s);
        }
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
        checkOpen();
        final Span span = spans.of(address);
        if (span == null) {
            if (address == 0) {
                throw new IllegalArgumentException("address must not be 0");
            }
            pages.freeRun(address);
            if (debug != null) {
                debug.forget(address);
            }
            return;
        }
        final int i = span.indexOf(address);
        if (debug != null) {
            debug.refuseQuarantined(address);
            if (!span.isLive(i)) {
                throw Span.notLive(address);
            }
            debug.poison(address, span.size);
            debug.forget(address);
        }
        final Object owner = span.owner();
        final ThreadCache mine = Thread.currentThread().isVirtual() ? null : caches.getIfPresent();
        if (owner != null && owner == mine) {
            if (!span.freeLocal(i)) {
                throw Span.notLive(address);
            }
            mine.frees[span.sizeClass]++;
            return;
        }
        if (!span.freeRemote(i)) {
            throw Span.notLive(address);
        }
        counters.remoteFree(span.sizeClass);
        if (span.owner() == null && span.markQueued()) {
            partial.get(span.sizeClass).add(span);
        }
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
        checkOpen();
        return sizeOf(address);
    }

    /** {@link #usableSize} without the open check, for debug mode's leak report, made while the heap closes. */
    long sizeOf(final long address) {
        final Span span = spans.of(address);
        if (span == null) {
            if (address == 0) {
                throw new IllegalArgumentException("address must not be 0");
            }
            return pages.runPages(address) * pageSize;
        }
        final int i = span.indexOf(address);
        if (debug != null) {
            debug.refuseQuarantined(address);
        }
        if (!span.isLive(i)) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is not a live allocation");
        }
        return span.size;
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
     * @throws PagodaOutOfMemoryError        if no memory is left; the old allocation is then unchanged
     * @throws IllegalStateException         if the heap is closed (or closes during the copy: the new allocation
     *                                       is then gone with the heap, and nothing was written to unmapped memory)
     * @throws UnsupportedOperationException if the allocation must move on a simulated OS, which has no memory to
     *                                       copy
     */
    public long reallocate(final long address, final long newSize) {
        final long usable = usableSize(address);
        if (newSize <= 0) {
            throw new IllegalArgumentException("newSize must be positive: newSize=" + newSize);
        }
        if (newSize <= usable && (usable <= SizeClasses.MAX_SIZE || newSize > usable / 2)) {
            return address;
        }
        if (simulated) {
            throw new UnsupportedOperationException("reallocate must move the allocation at 0x"
                    + Long.toHexString(address) + ", and a simulated OsMemory has no memory to copy");
        }
        final long fresh = allocate(newSize);
        memory.copy(address, fresh, Math.min(usable, newSize));
        free(address);
        return fresh;
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
        arenaOpened();
        return HeapArena.open(this, false);
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
        arenaOpened();
        return HeapArena.open(this, true);
    }

    /** Counts a new arena in; refuses it once the heap is closing. */
    private void arenaOpened() {
        while (true) {
            final int s = arenaState.get();
            if ((s & CLOSING) != 0) {
                throw CloseGate.closed();
            }
            if ((s & COUNT) == COUNT) {
                throw new IllegalStateException("too many open arenas on this heap: " + COUNT);
            }
            if (arenaState.compareAndSet(s, s + 1)) {
                return;
            }
        }
    }

    /** Counts an arena out (closed, or unreachable and cleaned); the last one after close unmaps the memory. */
    void arenaEnded() {
        if (arenaState.decrementAndGet() == (CLOSING | STOPPED)) {
            pages.unmap();
        }
    }

    /** Whether the heap is closed or closing: an arena's close then leaves its memory to the heap's unmap. */
    boolean isClosed() {
        return closed;
    }

    /**
     * Gives free memory back to the OS: spans with no live object go back to the page heap, whose free pages
     * are then released ({@link PageHeap#releaseToOs()}). Spans held by live threads' caches stay.
     *
     * @return the bytes released
     * @throws IllegalStateException if the heap is closed (also when it closes while the release runs)
     */
    public long releaseToOs() {
        reclaimEmptySpans(Integer.MAX_VALUE);
        return pages.releaseToOs();
    }

    /**
     * Runs one scavenger cycle now in the calling thread, after giving spans with no live object back to the
     * page heap ({@link PageHeap#scavenge()}): for programs that turn the background scavenger off.
     *
     * @return the bytes released
     * @throws IllegalStateException if the heap is closed
     */
    public long scavenge() {
        checkOpen();
        reclaimEmptySpans(Integer.MAX_VALUE);
        return pages.scavenge();
    }

    /**
     * Spans with no live object, queued as partial, go back to the page heap. {@code perClass} bounds the spans
     * looked at per size class (the queues rotate, so repeated calls visit them all); {@code Integer.MAX_VALUE}
     * makes one full pass. The scavenger calls it at every generation with a small bound, so an idle heap with
     * many partial spans costs it microseconds, not a walk of every span.
     */
    private void reclaimEmptySpans(final int perClass) {
        if (closed) {
            return;
        }
        final Object reclaimer = new Object();
        for (final ConcurrentLinkedQueue<Span> q : partial) {
            final int n = perClass == Integer.MAX_VALUE ? q.size() : perClass;
            Span first = null;
            for (int k = 0; k < n; k++) {
                final Span s = q.poll();
                if (s == null) {
                    break;
                }
                s.unmarkQueued();
                if (s.claim(reclaimer)) {
                    s.collect();
                    if (s.live() == 0) {
                        spans.unindex(s);
                        pages.freeRun(s.base);
                    } else {
                        detach(s);
                    }
                }
                if (s == first) {
                    break; // came round the whole queue
                }
                first = first == null ? s : first;
            }
        }
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
        checkOpen();
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
        return counters.stats(pages.stats(), pages.memoryLimit());
    }

    /**
     * Changes the hard limit on Ready bytes at run time ({@link PageHeap#memoryLimit(long)}).
     *
     * @param bytes the new limit, positive; {@link Long#MAX_VALUE} for none
     * @throws IllegalArgumentException if {@code bytes} is not positive
     * @throws IllegalStateException    if the heap is closed
     */
    public void memoryLimit(final long bytes) {
        checkOpen();
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
        synchronized (arenaState) {
            if (closed) {
                return;
            }
            closed = true;
            arenaState.getAndAdd(CLOSING);
        }
        try {
            if (debug != null) {
                debug.reportLeaks(this);
            }
        } finally {
            if (monitor != null) {
                monitor.unregister();
            }
            pages.stop();
            caches.close();
            final int before = arenaState.getAndAdd(STOPPED);
            if ((before & COUNT) == 0) {
                pages.unmap();
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the heap is closed");
        }
    }

    /** A dead thread's cache: every span goes back, freed to the page heap if empty, else queued. */
    private void retire(final ThreadCache cache) {
        counters.retire(cache);
        for (int c = 0; c < cache.current.length; c++) {
            final Span s = cache.current[c];
            if (s == null) {
                continue;
            }
            cache.current[c] = null;
            s.collect();
            if (s.live() == 0) {
                spans.unindex(s);
                try {
                    pages.freeRun(s.base);
                } catch (final IllegalStateException closed) {
                    return; // the heap was closed: its memory is gone already
                }
            } else {
                detach(s);
            }
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
        if (debug == null) {
            throw new IllegalStateException("live allocations are recorded only by a heap built with debug(true)");
        }
        return debug.liveAllocations(this);
    }
}
