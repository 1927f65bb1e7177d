package dev.pagoda.alloc.small;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.util.Arrays;

/**
 * A {@link java.lang.foreign.Arena} whose segments come from a {@code Heap}: {@link #allocate} carves them from
 * <i>slabs</i> the arena takes from the heap, by bumping an offset, and {@link #close()} gives every slab back at once.
 *
 * <p><b>Slabs.</b> An arena takes its first slab at its first allocation: 4 KiB, one small object of the heap's 4 KiB
 * size class, so a short-lived arena of a few dozen segments costs one small allocation and one free. Each further
 * slab is twice the last, up to 1 MiB; from 64 KiB on they are page runs of the page heap. A segment is carved at the
 * slab's offset rounded up to its alignment (any power of two), and the offset moves past it; when it does not fit, the
 * rest of the slab is left unused and the next slab is taken. A request whose size plus worst alignment padding
 * ({@code alignment - 1}) is more than a quarter of the next slab is not carved: it is allocated from the heap on its
 * own, as every segment once was, and freed on its own at close. That covers every request above 256 KiB, every
 * alignment above 256 KiB, and early in an arena's life the requests above a quarter of its small slabs. So an
 * abandoned slab is at least half used, a new slab always has room for the request that takes it, and the arena's
 * record of what to free grows by one entry per slab or large request, never per segment.
 *
 * <p><b>Zeroing.</b> Slabs come from the heap like any allocation, so a zeroing heap hands them out zeroed (or known
 * to read as zero); every slab serves one arena once and goes back to the heap at close, so a segment never shows
 * bytes of a previous owner. Nothing is zeroed per segment.
 *
 * <p><b>Cost.</b> Measured with {@code SmallObjectBenchmark.arena_*} (an arena, 64 segments of 64 bytes with one byte
 * written to each, close; 2 shared vCPUs): 7.5 to 7.9 ns per segment, against 33 to 38 for {@code Arena.ofConfined()}
 * and 35 to 39 when every segment was a heap allocation. About 3.3 ns of it is the JDK's own slice and checked write,
 * about 0.7 ns the arena's checks and bump; the rest is per arena (about 120 ns): the JDK arena and the {@link Cleaner}
 * registration, the first slab taken, zeroed (4 KiB, about 45 ns) and freed, and the heap's count of open arenas.
 *
 * <p><b>The JDK's checks.</b> Each slab is a segment on a JDK arena of the same kind ({@code Arena.ofConfined()} or
 * {@code Arena.ofShared()}), and each segment a slice of it, so the JDK itself enforces the lifetime: once the arena is
 * closed, any access through one of its segments fails with the JDK's own {@link IllegalStateException}, and a
 * confined arena refuses other threads with {@link WrongThreadException}. The memory is handed back to the heap only
 * after the JDK arena is closed, so no segment can ever read memory that a later allocation owns. A carved segment's
 * address is inside a slab, not an allocation of the heap: {@code heap.free} and {@code heap.usableSize} refuse it
 * (unless it happens to start a slab).
 *
 * <p><b>Lifetime against the heap's.</b> The heap counts its open arenas and keeps its memory mapped while any is
 * open, even after {@code Heap.close()}: a segment of an open arena always has its memory. Allocating from an arena
 * whose heap is closed throws {@link IllegalStateException}, as the heap's own {@code allocate} does. Closing the arena
 * after the heap was closed frees nothing one by one (the heap unmaps everything when its last arena goes). An arena
 * that is never closed is cleaned when it and all its segments have become unreachable (a {@link Cleaner} on the JDK
 * arena's scope): its slabs go back to the heap, or, if the heap is closed, the heap is told the arena is gone.
 *
 * <p><b>Threads and races.</b> A confined arena bumps plain fields, on a fast path small enough to inline into the
 * caller: the owner and open checks, the argument checks, the heap's closed flag, the offset, and the slice the JDK
 * makes (the one Java object per segment). A shared one bumps its current slab's offset with a compare-and-set, with no
 * lock, and writes no memory while it does (slabs are zeroed before they are published); it takes the arena's lock only
 * to take a new slab or record a request allocated on its own. (A toy bump of 64-byte slices measured 3.9 ns per
 * segment with a compare-and-set and 8.0 with {@code synchronized} on one thread, 36 and 76 ns on two contending ones.)
 * Allocations racing the close of a shared arena are never lost: every slab and every address allocated on its own is
 * recorded under that lock, the close takes the record under it, and an allocation that finds the arena ended frees its
 * memory itself. A compare-and-set that lands after the close began carves from a slab the close frees, and its segment
 * is dead like every other segment of the closed arena. A cleanup action (of a segment the user reinterpreted onto this
 * arena) that throws does not stop the arena's memory from going back: the JDK arena is closed by then, so the slabs
 * are freed and the exception is rethrown.
 */
final class HeapArena implements Arena {
    /** The bytes of an arena's first slab: one of the heap's size classes. */
    static final int FIRST_SLAB = 4 << 10;
    /** The bytes of the largest slab; requests above a quarter of it are allocated on their own. */
    static final int MAX_SLAB = 1 << 20;

    private static final Cleaner CLEANER = Cleaner.create(runnable -> {
        final Thread t = new Thread(runnable, "pagoda-arena-cleaner");
        t.setDaemon(true);
        return t;
    });
    private static final VarHandle CURSOR;

    static {
        try {
            CURSOR = MethodHandles.lookup().findVarHandle(Slab.class, "cursor", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Arena scope;
    /** The thread that may use a confined arena; null for a shared one. */
    private final Thread owner;
    private final HeapEngine heap;
    /**
     * The record of slabs and direct allocations. Its monitor (shared arenas only) is the outermost lock of an
     * allocation through the arena: held while a slab is taken from or an address freed to the heap, so it comes
     * before the heap's page-cache, grow and heap locks, and no code of the heap ever takes it. Exercised by the
     * close races of {@code HeapLifecycleTest} and {@code BumpArenaTest}.
     */
    private final Allocations allocations;
    private final Cleaner.Cleanable cleanable;
    /**
     * Whether a confined arena is open, for its fast path: cleared by {@link #close()} once the JDK arena is closed,
     * which only the owner can do. (The JDK arena is private, so this is the only way it closes.)
     */
    private boolean open = true;
    /** A confined arena's slab: carved to {@code cursor}, ends at {@code limit}; {@code memory} from {@code base}. */
    private long cursor;
    private long limit;
    private long base;
    private MemorySegment memory;
    /** A shared arena's slab; null before the first. Replaced under the allocations' lock. */
    private volatile Slab slab;
    /** The bytes of the next slab; grows under the allocations' lock (read without it by a shared arena). */
    private int nextSlab = FIRST_SLAB;

    private HeapArena(final HeapEngine heap, final boolean shared) {
        this.scope = shared ? Arena.ofShared() : Arena.ofConfined();
        this.owner = shared ? null : Thread.currentThread();
        this.heap = heap;
        this.allocations = new Allocations(heap, shared);
        // Registered on the JDK arena's scope, which every segment references: it becomes unreachable only when
        // no segment can be used any more. The action must not reach this object or the scope.
        this.cleanable = CLEANER.register(scope.scope(), allocations);
    }

    /** A new arena on {@code heap}, which has already counted it in. */
    static HeapArena open(final HeapEngine heap, final boolean shared) {
        try {
            return new HeapArena(heap, shared);
        } catch (final RuntimeException | Error e) {
            heap.arenaEnded();
            throw e;
        }
    }

    @Override
    public MemorySegment allocate(final long byteSize, final long byteAlignment) {
        // The fast path, kept small so that it inlines into the caller: a confined arena's request that fits its slab.
        if (owner == Thread.currentThread() && open && byteSize >= 0 && byteAlignment > 0
                && (byteAlignment & (byteAlignment - 1)) == 0 && !heap.isClosed()) {
            final long need = Math.max(byteSize, 1);
            final long start = (cursor + byteAlignment - 1) & -byteAlignment;
            if (need <= limit - start && carvable(need, byteAlignment)) {
                cursor = start + need;
                return memory.asSlice(start - base, byteSize);
            }
        }
        return allocateChecked(byteSize, byteAlignment);
    }

    /** Every other request: checks it in the JDK's order, then carves it (taking a new slab) or allocates it alone. */
    private MemorySegment allocateChecked(final long byteSize, final long byteAlignment) {
        if (byteSize < 0) {
            throw new IllegalArgumentException("byteSize must not be negative: byteSize=" + byteSize);
        }
        if (byteAlignment <= 0 || Long.bitCount(byteAlignment) != 1) {
            throw new IllegalArgumentException("byteAlignment must be a power of two: byteAlignment=" + byteAlignment);
        }
        if (!scope.scope().isAlive()) {
            throw new IllegalStateException("Already closed");
        }
        if (owner != null && owner != Thread.currentThread()) {
            throw new WrongThreadException("Attempted access outside owning thread");
        }
        if (byteSize > Long.MAX_VALUE / 2 || byteAlignment > Long.MAX_VALUE / 4) {
            // The JDK's contract: a size no allocator can serve is an OutOfMemoryError, not a bad argument.
            throw new OutOfMemoryError("cannot allocate " + byteSize + " bytes aligned to " + byteAlignment
                    + ": larger than any address space");
        }
        heap.checkOpen();
        // A zero-byte segment still takes a byte, so that no two segments of the arena share an address.
        final long need = Math.max(byteSize, 1);
        if (!carvable(need, byteAlignment)) {
            return allocateAlone(byteSize, byteAlignment, need);
        }
        if (owner == null) {
            return allocateShared(byteSize, byteAlignment, need);
        }
        long start = (cursor + byteAlignment - 1) & -byteAlignment;
        if (need > limit - start) {
            final int bytes = nextSlab;
            final long address = takeSlab(bytes);
            memory = slabSegment(address, bytes);
            base = address;
            limit = address + bytes;
            start = (address + byteAlignment - 1) & -byteAlignment;
        }
        cursor = start + need;
        return memory.asSlice(start - base, byteSize);
    }

    /** A shared arena's allocation: a compare-and-set on the slab's offset; the lock only for a new slab. */
    private MemorySegment allocateShared(final long byteSize, final long byteAlignment, final long need) {
        while (true) {
            final Slab s = slab;
            if (s != null) {
                final long cursor = (long) CURSOR.getVolatile(s);
                final long start = (cursor + byteAlignment - 1) & -byteAlignment;
                if (need <= s.limit - start) {
                    if (CURSOR.compareAndSet(s, cursor, start + need)) {
                        return s.memory.asSlice(start - s.base, byteSize);
                    }
                    continue;
                }
            }
            synchronized (allocations) {
                if (slab == s) { // else another thread took one meanwhile: try that
                    final int bytes = nextSlab;
                    final long address = takeSlab(bytes);
                    slab = new Slab(address, bytes, slabSegment(address, bytes));
                }
            }
        }
    }

    /** Whether the request is small enough to carve: its size and worst padding within a quarter of the next slab. */
    private boolean carvable(final long need, final long byteAlignment) {
        // need < 2^62 and byteAlignment < 2^61 (checked), so nothing here overflows.
        return need + (byteAlignment - 1) <= (nextSlab >>> 2);
    }

    /**
     * Takes a slab of {@code bytes} from the heap (zeroed if the heap zeroes), records it, and makes the next slab
     * twice as large, up to {@link #MAX_SLAB}. A shared arena calls it holding the allocations' lock.
     *
     * @throws IllegalStateException if the arena ended meanwhile (the slab is freed then) or the heap is closed
     */
    private long takeSlab(final int bytes) {
        final long address = allocateFromHeap(bytes, 16);
        allocations.record(address);
        nextSlab = Math.min(bytes * 2, MAX_SLAB);
        return address;
    }

    /**
     * Allocates from the heap; at the memory limit, asks the heap's reclaimers and retries, as the heap's own methods
     * do, unless the calling thread holds the allocations' lock (a shared arena taking a slab): no reclaimer runs
     * under a lock, so that request fails as the limit's path left it.
     */
    private long allocateFromHeap(final long bytes, final long alignment) {
        final dev.pagoda.alloc.pageheap.MemoryPressure pressure = heap.pressure();
        if (!pressure.active()) {
            return heap.allocate(bytes, alignment);
        }
        try {
            return heap.allocate(bytes, alignment);
        } catch (final dev.pagoda.alloc.PagodaOutOfMemoryError e) {
            if (Thread.holdsLock(allocations)) {
                throw e;
            }
            return pressure.retry(e, () -> heap.allocate(bytes, alignment));
        }
    }

    /**
     * The segment over a slab, on the JDK arena.
     *
     * @throws IllegalStateException if the JDK arena was closed meanwhile (the slab is recorded: the close frees it)
     */
    @SuppressWarnings("restricted")
    private MemorySegment slabSegment(final long address, final int bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes, scope, null);
    }

    /** A request too large to carve: allocated from the heap on its own, recorded, freed on its own at close. */
    @SuppressWarnings("restricted")
    private MemorySegment allocateAlone(final long byteSize, final long byteAlignment, final long need) {
        final long address = allocateFromHeap(need, byteAlignment);
        allocations.record(address);
        return MemorySegment.ofAddress(address).reinterpret(byteSize, scope, null);
    }

    @Override
    public MemorySegment.Scope scope() {
        return scope.scope();
    }

    /**
     * Closes the JDK arena (so every segment becomes inaccessible), then frees every slab and every allocation made on
     * its own to the heap.
     *
     * @throws IllegalStateException if the arena is closed already
     * @throws WrongThreadException  if a confined arena is closed by another thread than its owner
     */
    @Override
    public void close() {
        try {
            scope.close();
        } finally {
            // Also when a cleanup action threw: the JDK arena is closed then, and its memory must go back.
            // Not when the close was refused (a second close, or the wrong thread): the arena is alive.
            if (!scope.scope().isAlive()) {
                open = false;
                cleanable.clean();
            }
        }
    }

    /**
     * A shared arena's slab: {@code [base, limit)}, carved up to {@code cursor}, which moves by compare-and-set
     * ({@link #CURSOR}), and its segment on the JDK arena, whose slices are the arena's segments.
     */
    private static final class Slab {
        final long base;
        final long limit;
        final MemorySegment memory;
        long cursor;

        Slab(final long base, final long bytes, final MemorySegment memory) {
            this.base = base;
            this.limit = base + bytes;
            this.memory = memory;
            this.cursor = base;
        }
    }

    /**
     * The addresses an arena took from the heap (slabs, and requests allocated on their own), and what to do with them
     * when it ends: the {@link Cleaner} action. It holds the heap, never the arena, its scope or its segments, so the
     * arena can become unreachable.
     */
    private static final class Allocations implements Runnable {
        private final HeapEngine heap;
        private final boolean shared;
        /** The first address (most arenas take one slab), then the others. */
        private long first;
        private long[] more;
        private int count;
        private boolean ended;

        Allocations(final HeapEngine heap, final boolean shared) {
            this.heap = heap;
            this.shared = shared;
        }

        /** Records an address; frees it and throws if the arena ended meanwhile (a shared arena's close race). */
        void record(final long address) {
            if (shared) {
                synchronized (this) {
                    recordLocked(address);
                }
            } else {
                recordLocked(address);
            }
        }

        private void recordLocked(final long address) {
            if (ended) {
                try {
                    heap.free(address);
                } catch (final IllegalStateException heapClosed) {
                    // the heap's unmap takes it
                }
                throw new IllegalStateException("Already closed");
            }
            if (count == 0) {
                first = address;
            } else {
                if (more == null) {
                    more = new long[8];
                } else if (count - 1 == more.length) {
                    more = Arrays.copyOf(more, more.length * 2);
                }
                more[count - 1] = address;
            }
            count++;
        }

        /**
         * Runs once: on close, or when the arena became unreachable without one. A confined arena's records are made
         * by its owner, which is the thread closing it, or gone when the arena is unreachable: no lock then.
         */
        @Override
        public void run() {
            if (shared) {
                synchronized (this) {
                    ended = true;
                }
            } else {
                ended = true;
            }
            try {
                if (!heap.isClosed()) {
                    for (int i = 0; i < count; i++) {
                        heap.free(i == 0 ? first : more[i - 1]);
                    }
                }
            } catch (final IllegalStateException closedMeanwhile) {
                // The heap closed while the arena was freeing: its memory goes with the heap's unmap.
            } finally {
                count = 0;
                more = null;
                heap.arenaEnded();
            }
        }
    }
}
