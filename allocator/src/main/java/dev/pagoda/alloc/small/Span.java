package dev.pagoda.alloc.small;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A run of pages cut into objects of one size class, after Go's {@code mspan}, with mimalloc's split of free
 * lists into a local and a remote one.
 *
 * <p>The span's <i>owner</i> (a thread's cache, or a shard cache under its lock) allocates from the
 * {@code local} bitmap (set = free) and frees into it without any atomic operation. Every other thread frees
 * by setting the object's bit in the {@code remote} bitmap with an atomic OR; the owner folds remote bits into
 * local ones when it runs out ({@link #collect()}). A span without an owner is <i>detached</i>: when a remote
 * free lands on it, the freeing thread queues it on its class's partial list (once, guarded by
 * {@code queued}), where a cache that needs a span finds it.
 *
 * <p>Objects are never handed out twice and never freed twice: a free checks that the object's local bit is
 * clear (it is allocated) and that no remote free of it is pending. Objects above {@code freshIndex} have never
 * been handed out since the span's pages came zeroed from the page heap, so they need no zeroing.
 */
final class Span {
    private static final VarHandle REMOTE = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle OWNER;
    private static final VarHandle QUEUED;

    static {
        try {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            OWNER = l.findVarHandle(Span.class, "owner", Object.class);
            QUEUED = l.findVarHandle(Span.class, "queued", boolean.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final long base;
    final int sizeClass;
    final int size;
    /** {@code 2^32 / size} rounded up: {@code (offset * divMul) >>> 32 == offset / size} within a span. */
    final long divMul;
    final int objects;
    final long pages;
    /** The span's length in bytes. */
    final long bytes;
    /** Owner-only: set bits are free objects. */
    final long[] local;
    /** Any thread: set bits are objects freed by a non-owner, not yet collected. */
    final long[] remote;
    /** Owner-only: objects at or above this index have never been handed out. */
    int freshIndex;
    /** Owner-only: no word of {@link #local} below this one has a free bit, so allocation starts here. */
    private int cursor;
    /**
     * Counters, written by the span's owner only (plain stores, published to a later owner by {@link #claim}):
     * objects handed out, objects freed by the owner, remote frees folded in by {@link #collect()}, and the bytes the
     * allocations asked for (their rounding is {@code allocs * size - requested}). They are the span's statistics
     * ({@code HeapCounters} adds the spans up when asked) and its occupancy ({@link #localFree()}) at once, so the
     * fast path keeps one set of figures, on the object it has in hand anyway.
     */
    long allocs;
    long frees;
    long collected;
    long requested;
    /** Objects taken out of use for good by debug mode (written after free): neither free nor handed out. */
    long quarantined;
    /**
     * Owner-only: units of the span given back to the OS while the span lives (bit {@code u} for bytes
     * {@code [u << unitShift, (u + 1) << unitShift)}), no object living on them; an object overlapping one is
     * made Ready again before it is handed out. A unit is an OS page, or a power-of-two group of them for spans of
     * more than 64 OS pages.
     */
    long released;
    /** The log2 of a release unit's bytes. */
    final int unitShift;
    /** The next span in its class's {@link SpanQueue}; guarded by that queue's monitor. */
    Span nextQueued;
    /** Owner-only: the scavenger generation since which the span has sat detached, 0 while a cache holds it. */
    int idleSince;

    @SuppressWarnings("unused") // accessed through OWNER
    private volatile Object owner;
    @SuppressWarnings("unused") // accessed through QUEUED
    private volatile boolean queued;

    Span(final long base, final int sizeClass, final long pages, final long pageSize, final long osPageSize) {
        this.base = base;
        this.sizeClass = sizeClass;
        this.size = SizeClasses.size(sizeClass);
        this.divMul = 0xFFFF_FFFFL / size + 1;
        this.pages = pages;
        this.objects = (int) (pages * pageSize / size);
        this.bytes = pages * pageSize;
        int shift = Long.numberOfTrailingZeros(osPageSize);
        while (bytes >>> shift > 64) {
            shift++;
        }
        this.unitShift = shift;
        final int words = (objects + 63) >>> 6;
        this.local = new long[words];
        this.remote = new long[words];
        for (int w = 0; w < words; w++) {
            local[w] = w < words - 1 || (objects & 63) == 0 ? -1L : (1L << (objects & 63)) - 1;
        }
    }

    /**
     * Takes the lowest free object; returns its index or -1. Owner only. The search starts at {@link #cursor}, below
     * which every word is full, so a span being filled costs one word test per allocation, not a scan from its first
     * word: allocation is O(1) amortised over the span's life.
     */
    int allocate() {
        final long[] bits = local;
        for (int w = cursor; w < bits.length; w++) {
            final long x = bits[w];
            if (x != 0) {
                final int bit = Long.numberOfTrailingZeros(x);
                bits[w] = x & (x - 1);
                allocs++;
                cursor = w;
                return (w << 6) + bit;
            }
        }
        cursor = bits.length;
        return -1;
    }

    /**
     * The units, not released yet, that objects handed out so far have touched and on which no object lives now:
     * what can go back to the OS while the span lives. Owner only, after {@link #collect()}.
     */
    long releasableUnits() {
        final long touched = (long) freshIndex * size;
        long mask = 0;
        for (int u = 0; (long) u << unitShift < touched; u++) {
            if ((released & 1L << u) != 0) {
                continue;
            }
            final long start = (long) u << unitShift;
            final long end = Math.min(bytes, start + (1L << unitShift));
            final int first = (int) (start / size);
            final int last = (int) Math.min(objects - 1, (end - 1) / size);
            if (allFree(first, last)) {
                mask |= 1L << u;
            }
        }
        return mask;
    }

    /** Whether every object from {@code first} to {@code last} is free in {@link #local}. */
    private boolean allFree(final int first, final int last) {
        for (int w = first >>> 6; w <= last >>> 6; w++) {
            final long lo = w == first >>> 6 ? -1L << (first & 63) : -1L;
            final long hi = w == last >>> 6 ? -1L >>> (63 - (last & 63)) : -1L;
            final long want = lo & hi;
            if ((local[w] & want) != want) {
                return false;
            }
        }
        return true;
    }

    /**
     * Records units as released; objects on them that were never handed out are no longer fresh (they must be
     * made Ready before use, which the path for reused objects does). Owner only.
     */
    void markReleased(final long units) {
        released |= units;
        final int top = 63 - Long.numberOfLeadingZeros(units);
        final long end = Math.min(bytes, (long) (top + 1) << unitShift);
        final int last = (int) Math.min(objects - 1, (end - 1) / size);
        if (last + 1 > freshIndex) {
            freshIndex = last + 1;
        }
    }

    /** The released units object {@code i} overlaps. Owner only. */
    long releasedUnitsOf(final int i) {
        final long start = (long) i * size;
        final int first = (int) (start >>> unitShift);
        final int last = (int) (Math.min(bytes, start + size) - 1 >>> unitShift);
        final long mask = (last == 63 ? -1L : (1L << last + 1) - 1) & -1L << first;
        return released & mask;
    }

    /** Whether object {@code i} is handed out and not freed (locally or remotely). Any thread. */
    boolean isLive(final int i) {
        final int w = i >>> 6;
        final long m = 1L << (i & 63);
        return (local[w] & m) == 0 && ((long) REMOTE.getVolatile(remote, w) & m) == 0;
    }

    /** Frees object {@code i} as the owner; false if it is not live (a double free). */
    boolean freeLocal(final int i) {
        final int w = i >>> 6;
        final long m = 1L << (i & 63);
        if ((local[w] & m) != 0 || ((long) REMOTE.getVolatile(remote, w) & m) != 0) {
            return false;
        }
        local[w] |= m;
        frees++;
        if (w < cursor) {
            cursor = w;
        }
        return true;
    }

    /** Frees object {@code i} from a non-owner; false if it is not live (a double free). */
    boolean freeRemote(final int i) {
        final int w = i >>> 6;
        final long m = 1L << (i & 63);
        if ((local[w] & m) != 0) {
            return false;
        }
        return ((long) REMOTE.getAndBitwiseOr(remote, w, m) & m) == 0;
    }

    /** Folds remote frees into the local bitmap; returns how many. Owner only. */
    int collect() {
        int n = 0;
        for (int w = 0; w < remote.length; w++) {
            if ((long) REMOTE.getVolatile(remote, w) != 0) {
                final long r = (long) REMOTE.getAndSet(remote, w, 0L);
                // Count only bits not already free: a racing double free must not inflate the count.
                n += Long.bitCount(r & ~local[w]);
                local[w] |= r;
                if (w < cursor) {
                    cursor = w;
                }
            }
        }
        collected += n;
        return n;
    }

    boolean hasRemote() {
        for (int w = 0; w < remote.length; w++) {
            if ((long) REMOTE.getVolatile(remote, w) != 0) {
                return true;
            }
        }
        return false;
    }

    /** The error for a free of an address that is not a live allocation: freed already, or never handed out. */
    static IllegalArgumentException notLive(final long address) {
        return new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is not a live allocation "
                + "(freed already, or never handed out)");
    }

    /**
     * The index of the object starting at {@code address}: the offset divided by the object size as a
     * multiplication (Go's {@code divMul}), exact for every offset in a span.
     *
     * @throws IllegalArgumentException if {@code address} is inside an object, not at its start
     */
    int indexOf(final long address) {
        final long offset = address - base;
        final int i = (int) ((offset * divMul) >>> 32);
        if (i * (long) size != offset || i >= objects) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is inside an allocation "
                    + "of " + size + " bytes, not at its start");
        }
        return i;
    }

    /** Live objects, as the owner sees them after {@link #collect()}. */
    int live() {
        return (int) (allocs + quarantined - frees - collected);
    }

    /**
     * Moves the object just taken by {@link #allocate()} from handed out to quarantined: it stays taken (its bit
     * clear) but is no allocation in the statistics. Owner only.
     */
    void quarantine() {
        allocs--;
        quarantined++;
    }

    /** Free objects in {@link #local}, as the owner sees them. */
    int localFree() {
        return objects - live();
    }

    Object owner() {
        return OWNER.getVolatile(this);
    }

    void owner(final Object o) {
        OWNER.setVolatile(this, o);
    }

    boolean claim(final Object o) {
        return OWNER.compareAndSet(this, (Object) null, o);
    }

    /** Marks the span queued on its partial list; true for the one caller that should enqueue it. */
    boolean markQueued() {
        return QUEUED.compareAndSet(this, false, true);
    }

    void unmarkQueued() {
        QUEUED.setVolatile(this, false);
    }
}
