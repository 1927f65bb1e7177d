package dev.pagoda.alloc.small;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.Arrays;

/**
 * A {@link java.lang.foreign.Arena} whose segments come from a {@code Heap}: {@link #allocate} takes memory from
 * the heap (zeroed if the heap zeroes) and {@link #close()} gives every segment back at once.
 *
 * <p>Each segment is attached to a JDK arena of the same kind ({@code Arena.ofConfined()} or
 * {@code Arena.ofShared()}), so the JDK itself enforces the lifetime: once the arena is closed, any access
 * through one of its segments fails with the JDK's own {@link IllegalStateException}, and a confined arena
 * refuses other threads with {@link WrongThreadException}. The memory is handed back to the heap only after
 * the JDK arena is closed, so no segment can ever read memory that a later allocation owns.
 *
 * <p><b>Lifetime against the heap's.</b> The heap counts its open arenas and keeps its memory mapped while any is
 * open, even after {@code Heap.close()}: a segment of an open arena always has its memory. Closing the arena after
 * the heap was closed frees nothing one by one (the heap unmaps everything when its last arena goes). An arena that
 * is never closed is cleaned when it and all its segments have become unreachable (a {@link Cleaner} on the JDK
 * arena's scope): its allocations go back to the heap, or, if the heap is closed, the heap is told the arena is
 * gone.
 *
 * <p><b>Races.</b> Allocations racing the close of a shared arena are never lost: every address is recorded under
 * the arena's lock before a segment is made, and an allocation that finds the arena closed frees its address
 * itself. A cleanup action (of a segment the user reinterpreted onto this arena) that throws does not stop the
 * arena's memory from going back: the JDK arena is closed by then, so the allocations are freed and the exception
 * is rethrown.
 */
final class HeapArena implements Arena {
    private static final Cleaner CLEANER = Cleaner.create(runnable -> {
        final Thread t = new Thread(runnable, "pagoda-arena-cleaner");
        t.setDaemon(true);
        return t;
    });

    private final Arena scope;
    /** The thread that may use a confined arena; null for a shared one. */
    private final Thread owner;
    private final Allocations allocations;
    private final Cleaner.Cleanable cleanable;

    private HeapArena(final HeapEngine heap, final boolean shared) {
        this.scope = shared ? Arena.ofShared() : Arena.ofConfined();
        this.owner = shared ? null : Thread.currentThread();
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
    @SuppressWarnings("restricted")
    public MemorySegment allocate(final long byteSize, final long byteAlignment) {
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
        final long address = allocations.heap.allocate(Math.max(byteSize, 1), byteAlignment);
        allocations.record(address);
        return MemorySegment.ofAddress(address).reinterpret(byteSize, scope, null);
    }

    @Override
    public MemorySegment.Scope scope() {
        return scope.scope();
    }

    /**
     * Closes the JDK arena (so every segment becomes inaccessible), then frees every allocation to the heap.
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
                cleanable.clean();
            }
        }
    }

    /**
     * The addresses an arena handed out, and what to do with them when it ends: the {@link Cleaner} action. It
     * holds the heap, never the arena or its scope, so the arena can become unreachable.
     */
    private static final class Allocations implements Runnable {
        final HeapEngine heap;
        private final boolean shared;
        private long[] addresses = new long[16];
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
            if (count == addresses.length) {
                addresses = Arrays.copyOf(addresses, count * 2);
            }
            addresses[count++] = address;
        }

        /** Runs once: on close, or when the arena became unreachable without one. */
        @Override
        public void run() {
            final long[] all;
            final int n;
            synchronized (this) {
                ended = true;
                all = addresses;
                n = count;
                count = 0;
                addresses = null;
            }
            try {
                if (!heap.isClosed()) {
                    for (int i = 0; i < n; i++) {
                        heap.free(all[i]);
                    }
                }
            } catch (final IllegalStateException closedMeanwhile) {
                // The heap closed while the arena was freeing: its memory goes with the heap's unmap.
            } finally {
                heap.arenaEnded();
            }
        }
    }
}
