package dev.pagoda.alloc.small;

import dev.pagoda.alloc.pageheap.CloseGate;
import dev.pagoda.alloc.HeapStats;
import dev.pagoda.alloc.LiveAllocation;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.pageheap.HeapMemory;
import dev.pagoda.alloc.pageheap.PageHeapEngine;
import dev.pagoda.os.ThreadSlot;

import java.util.ArrayList;
import java.util.List;

/**
 * The small-object engine under the public {@code dev.pagoda.alloc.Heap}, after Go's {@code mcache}/{@code mcentral}
 * and mimalloc's thread-free lists: size classes carved from spans of the page heap engine, one cache of spans per
 * platform thread, shard caches for virtual threads, remote frees as one atomic OR, the span table, the arena view,
 * debug mode, and the order of closing. The public {@code Heap} is its documented face: each public method here has
 * the contract of the {@code Heap} method of the same name.
 */
public final class HeapEngine {
    private final PageHeapEngine pages;
    private final long pageSize;
    private final int pageShift;
    private final boolean zeroing;
    /** Spans with free objects and no owner, per size class. */
    private final List<SpanQueue> partial = new ArrayList<>(SizeClasses.COUNT);
    private final ThreadSlot<ThreadCache> caches;
    private final ThreadCache[] shards;
    /**
     * Platform threads' caches, direct-mapped by thread id: the default API's lookup is one array load and one
     * identity compare with the current thread, the thread slot being asked only on a miss (a thread's first call, or
     * another thread whose id maps to the same entry). Plain reads and writes: an entry matches only the thread that
     * wrote it, which sees its own write, and a stale or racing entry just misses.
     */
    private final ThreadCache[] recent = new ThreadCache[RECENT];
    private static final int RECENT = 256;
    private final HeapCounters counters;
    private final SpanTable spans;
    /** Detached spans and their memory: partial lists, empty spans, pages released inside spans. */
    private final SpanPages spanPages;
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
    // Its monitor guards the closed flag and CLOSING together in beginClose(); a leaf lock: nothing else is taken
    // under it.
    private final java.util.concurrent.atomic.AtomicInteger arenaState = new java.util.concurrent.atomic.AtomicInteger();
    private static final int CLOSING = 1 << 30;
    private static final int STOPPED = 1 << 29;
    private static final int COUNT = STOPPED - 1;
    /** Debug mode (null when off): poison, use-after-free checks, allocation sites, leak report. */
    private final HeapDebug debug;

    /**
     * An engine over {@code pages}.
     *
     * @param pages the page heap engine its spans and page runs come from
     * @param debug whether debug mode is on (poison, use-after-free checks, allocation sites, leak report)
     */
    public HeapEngine(final PageHeapEngine pages, final boolean debug) {
        this.pages = pages;
        this.simulated = "simulated".equals(pages.os().port());
        this.pageSize = pages.pageSize();
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
        this.zeroing = pages.zeroing();
        this.memory = pages.memory();
        this.debug = debug ? new HeapDebug(memory) : null;
        this.counters = new HeapCounters(pageSize);
        this.spans = new SpanTable(pages, counters);
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            partial.add(new SpanQueue());
        }
        this.spanPages = new SpanPages(pages, spans, partial, debug);
        this.caches = ThreadSlot.create("pagoda-heap-cache", () -> new ThreadCache(false),
                this::retire);
        this.shards = new ThreadCache[Math.max(2, 2 * Runtime.getRuntime().availableProcessors())];
        for (int i = 0; i < shards.length; i++) {
            shards[i] = new ThreadCache(true);
        }
    }

    /** {@code Heap.allocate(long)}. */
    public long allocate(final long size) {
        return allocate(null, size);
    }

    /**
     * {@code Heap.allocate(long)} for a {@code LocalHeap}: from {@code local}, the handle's cache, with no lookup.
     *
     * @param local the handle's cache, or null for the calling thread's
     * @param size  the bytes wanted
     * @return the address
     */
    public long allocate(final ThreadCache local, final long size) {
        checkOpen();
        if (size <= 0 || size > Long.MAX_VALUE - pageSize) {
            throw new IllegalArgumentException("size must be between 1 and " + (Long.MAX_VALUE - pageSize)
                    + ": size=" + size);
        }
        final long address = size <= SizeClasses.MAX_SIZE ? allocateSmall(local, SizeClasses.classOf(size), size)
                : pages.allocateRun((size + pageSize - 1) / pageSize, zeroing);
        return debug != null ? debug.record(address) : address;
    }

    /** {@code Heap.allocate(long, long)}. */
    public long allocate(final long size, final long alignment) {
        return allocate(null, size, alignment);
    }

    /**
     * {@code Heap.allocate(long, long)} for a {@code LocalHeap}.
     *
     * @param local     the handle's cache, or null for the calling thread's
     * @param size      the bytes wanted
     * @param alignment a power of two
     * @return the address
     */
    public long allocate(final ThreadCache local, final long size, final long alignment) {
        checkOpen();
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: alignment=" + alignment);
        }
        if (alignment <= 16) {
            return allocate(local, size);
        }
        final long address = allocateAligned(local, size, alignment);
        return debug != null ? debug.record(address) : address;
    }

    private long allocateAligned(final ThreadCache local, final long size, final long alignment) {
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
                        return allocateSmall(local, c, size);
                    }
                }
            }
            return pages.allocateRun((size + pageSize - 1) / pageSize, zeroing);
        }
        return pages.allocateAlignedRun((size + pageSize - 1) / pageSize, alignment);
    }

    private long allocateSmall(final ThreadCache local, final int c, final long requested) {
        final ThreadCache cache = local != null ? local : Thread.currentThread().isVirtual() ? lockShard()
                : platformCache(true);
        if (cache.lock == null) {
            return take(cache, c, requested);
        }
        try {
            return take(cache, c, requested);
        } finally {
            cache.lock.unlock();
        }
    }

    /**
     * The small-object fast path: the class's current span gives its next free object (one bit cleared), its
     * counters take one increment and one add, and the object is zeroed if it was handed out before. Anything else
     * (a full span, debug checks) is off to the side.
     */
    private long take(final ThreadCache cache, final int c, final long requested) {
        Span span = cache.current[c];
        int i;
        if (span == null || (i = span.allocate()) < 0) {
            span = refill(cache, c);
            i = span.allocate();
        }
        if (cache.last != span) {
            cache.last = span; // written only on a change: a reference store pays the collector's write barrier
        }
        final long address = span.base + (long) i * span.size;
        if (i >= span.freshIndex) {
            span.freshIndex = i + 1; // never handed out: the page heap gave it zeroed
        } else {
            if (span.released != 0) {
                spanPages.readyObject(span, i); // its pages went back to the OS while the span was idle
            }
            if (debug != null) {
                debug.checkPoison(span, i, address); // throws on a write after free, quarantining the object
            }
            if (zeroing) {
                memory.zero(address, span.size);
            }
        }
        span.requested += requested;
        return address;
    }

    /**
     * The calling platform thread's cache: from {@link #recent} if it maps this thread, else from the thread slot,
     * which makes it on the thread's first call if {@code create}, else answers null for a thread without one.
     */
    private ThreadCache platformCache(final boolean create) {
        final Thread t = Thread.currentThread();
        final int k = (int) t.threadId() & (RECENT - 1);
        final ThreadCache c = recent[k];
        if (c != null && c.thread == t) {
            return c;
        }
        final ThreadCache mine = create ? caches.get() : caches.getIfPresent();
        if (mine != null) {
            recent[k] = mine;
        }
        return mine;
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
            s.idleSince = 0;
            s.collect();
            if (s.localFree() > 0) {
                cache.current[c] = s;
                return s;
            }
            detach(s);
        }
        final long npages = SizeClasses.spanPages(c);
        final long base = pages.allocateRun(npages, zeroing);
        final Span s = new Span(base, c, npages, pageSize, pages.os().pageSize());
        s.owner(cache);
        spans.index(base, npages, s);
        counters.spanAdded(s);
        cache.current[c] = s;
        return s;
    }

    /** Lets go of a span; queues it if it has free objects so that another cache can take it. */
    private void detach(final Span s) {
        spanPages.detach(s);
    }

    /** {@code Heap.free}. */
    public void free(final long address) {
        free(null, address);
    }

    /**
     * {@code Heap.free} for a {@code LocalHeap}: objects of {@code local}'s spans are freed locally.
     *
     * @param local   the handle's cache, or null for the calling thread's
     * @param address the allocation
     */
    public void free(final ThreadCache local, final long address) {
        checkOpen();
        final ThreadCache mine = local != null ? local
                : Thread.currentThread().isVirtual() ? null : platformCache(false);
        Span span = mine != null ? mine.last : null;
        final boolean owned;
        if (span != null && Long.compareUnsigned(address - span.base, span.bytes) < 0 && span.owner() == mine) {
            owned = true; // the span of the cache's last allocation, still the cache's: no table lookup
        } else {
            span = spans.of(address);
            if (span == null) {
                freeRun(address);
                return;
            }
            owned = mine != null && span.owner() == mine;
        }
        final int i = span.indexOf(address);
        if (debug != null) {
            debugFree(span, i, address);
        }
        if (owned) {
            if (!span.freeLocal(i)) {
                throw Span.notLive(address);
            }
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

    /** Frees an address that no span holds: a page run of the heap, or an error the page heap names. */
    private void freeRun(final long address) {
        if (address == 0) {
            throw new IllegalArgumentException("address must not be 0");
        }
        pages.freeRun(address);
        if (debug != null) {
            debug.forget(address);
        }
    }

    /** Debug mode's checks and poison before object {@code i} of {@code span} is freed. */
    private void debugFree(final Span span, final int i, final long address) {
        debug.refuseQuarantined(address);
        if (!span.isLive(i)) {
            throw Span.notLive(address);
        }
        debug.poison(address, span.size);
        debug.forget(address);
    }

    /** {@code Heap.usableSize}. */
    public long usableSize(final long address) {
        checkOpen();
        return sizeOf(address);
    }

    /** {@code Heap.usableSize} without the open check, for the leak report made while the heap closes. */
    public long sizeOf(final long address) {
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

    /** {@code Heap.reallocate}. */
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
     * A new arena view ({@code Heap.newArena}, {@code Heap.newSharedArena}), counted so that the memory stays mapped
     * while it is open.
     *
     * @param shared whether any thread may use it
     * @return the arena
     */
    public java.lang.foreign.Arena newArena(final boolean shared) {
        arenaOpened();
        return HeapArena.open(this, shared);
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

    /** The heap's reclaimers, for the arenas' allocations at the memory limit. */
    dev.pagoda.alloc.pageheap.MemoryPressure pressure() {
        return pages.pressure();
    }

    /** Whether the heap is closed or closing: an arena's close then leaves its memory to the heap's unmap. */
    public boolean isClosed() {
        return closed;
    }

    /** How {@link #reclaimSpans} treats queued spans that still hold live objects. */
    public enum Inside {
        /** Leaves them whole. */
        KEEP,
        /** Releases the free OS pages of those mostly free and idle since an earlier pass (the scavenger's way). */
        IDLE,
        /** Releases the free OS pages of every one ({@code releaseToOs}). */
        ALL
    }

    /**
     * Spans with no live object, queued as partial, go back to the page heap; and, as {@code inside} says, the OS
     * pages of the others on which no object lives go back to the OS while the span lives on ({@link SpanPages}).
     *
     * @param perClass how many queued spans to look at per size class ({@code Integer.MAX_VALUE}: one full pass)
     * @param inside   what to do with the free pages of spans that still hold objects
     * @return the bytes released inside spans
     */
    public long reclaimSpans(final int perClass, final Inside inside) {
        return closed ? 0 : spanPages.reclaim(perClass, inside);
    }

    /**
     * The statistics of {@code Heap.stats()}.
     *
     * @param pageStats the page heap's statistics
     * @param limit     the hard limit on Ready bytes
     * @return the snapshot
     */
    public HeapStats stats(final PageHeapStats pageStats, final long limit) {
        checkOpen();
        return counters.stats(pageStats, limit, pages.insideReleases().releasedBytesNow());
    }

    /**
     * The first step of closing: marks the heap closed (no new arena, allocation or free).
     *
     * @return true for the call that closed it; false if it was closed already
     */
    public boolean beginClose() {
        synchronized (arenaState) {
            if (closed) {
                return false;
            }
            closed = true;
            arenaState.getAndAdd(CLOSING);
            return true;
        }
    }

    /** Logs the allocations still live, in debug mode; call after {@link #beginClose()}. */
    public void reportLeaks() {
        if (debug != null) {
            debug.reportLeaks(this);
        }
    }

    /**
     * The last step of closing, after the page heap has stopped: destroys the thread caches and unmaps the memory,
     * now if no arena is open, else when the last one closes.
     */
    public void finishClose() {
        caches.close();
        final int before = arenaState.getAndAdd(STOPPED);
        if ((before & COUNT) == 0) {
            pages.unmap();
        }
    }

    /**
     * The cache a {@code LocalHeap} made on this thread uses: the thread's own (a virtual thread's too, which the
     * default API would not give it: the handle keeps it off the shared shards).
     *
     * @return the calling thread's cache
     * @throws IllegalStateException if the heap is closed
     */
    public ThreadCache localCache() {
        checkOpen();
        return caches.get();
    }

    /**
     * Closes a {@code LocalHeap}'s use of {@code cache}: on a virtual thread the cache goes back to the heap now
     * (its spans to the partial lists or the page heap); a platform thread's cache stays, the thread's own.
     *
     * @param cache the handle's cache, from {@link #localCache()} on this thread
     */
    public void closeLocal(final ThreadCache cache) {
        if (Thread.currentThread().isVirtual() && !closed && caches.getIfPresent() == cache) {
            caches.remove();
        }
    }

    /** Destroys the thread caches, when building the heap failed after they were made. */
    public void abandon() {
        caches.close();
    }

    /**
     * Throws if the heap is closed.
     *
     * @throws IllegalStateException if it is
     */
    public void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the heap is closed");
        }
    }

    /** A dead thread's cache: every span goes back, freed to the page heap if empty, else queued. */
    private void retire(final ThreadCache cache) {
        cache.retired = true;
        if (cache.thread != null) {
            final int k = (int) cache.thread.threadId() & (RECENT - 1);
            if (recent[k] == cache) {
                recent[k] = null; // lets the ended thread be collected; a racing overwrite is as good
            }
        }
        for (int c = 0; c < cache.current.length; c++) {
            final Span s = cache.current[c];
            if (s == null) {
                continue;
            }
            cache.current[c] = null;
            s.collect();
            if (s.live() == 0) {
                try {
                    spanPages.freeSpan(s);
                } catch (final IllegalStateException closed) {
                    return; // the heap was closed: its memory is gone already
                }
            } else {
                detach(s);
            }
        }
    }

    /** {@code Heap.liveAllocations}. */
    public java.util.List<LiveAllocation> liveAllocations() {
        if (debug == null) {
            throw new IllegalStateException("live allocations are recorded only by a heap built with debug(true)");
        }
        return debug.liveAllocations(this);
    }
}
