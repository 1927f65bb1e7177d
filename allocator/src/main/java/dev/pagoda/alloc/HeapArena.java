package dev.pagoda.alloc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A {@link java.lang.foreign.Arena} whose segments come from a {@link Heap}: {@link #allocate} takes memory from
 * the heap (zeroed if the heap zeroes) and {@link #close()} gives every segment back at once.
 *
 * <p>Each segment is attached to a JDK arena of the same kind ({@code Arena.ofConfined()} or
 * {@code Arena.ofShared()}), so the JDK itself enforces the lifetime: once the arena is closed, any access
 * through one of its segments fails with the JDK's own {@link IllegalStateException}, and a confined arena
 * refuses other threads with {@link WrongThreadException}. The memory is handed back to the heap only after
 * the JDK arena is closed, so no segment can ever read memory that a later allocation owns.
 */
final class HeapArena implements Arena {
    private final Heap heap;
    private final Arena scope;
    private final boolean shared;
    /** The thread that may use a confined arena; null for a shared one. */
    private final Thread owner;
    private long[] addresses = new long[16];
    private int count;

    HeapArena(final Heap heap, final boolean shared) {
        this.heap = heap;
        this.shared = shared;
        this.scope = shared ? Arena.ofShared() : Arena.ofConfined();
        this.owner = shared ? null : Thread.currentThread();
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
        final long address = heap.allocate(Math.max(byteSize, 1), byteAlignment);
        if (shared) {
            synchronized (this) {
                record(address);
            }
        } else {
            record(address);
        }
        return MemorySegment.ofAddress(address).reinterpret(byteSize, scope, null);
    }

    private void record(final long address) {
        if (count == addresses.length) {
            addresses = Arrays.copyOf(addresses, count * 2);
        }
        addresses[count++] = address;
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
        scope.close();
        final long[] all;
        final int n;
        synchronized (this) {
            all = addresses;
            n = count;
            count = 0;
        }
        for (int i = 0; i < n; i++) {
            heap.free(all[i]);
        }
    }
}
