package dev.pagoda.alloc;

import dev.pagoda.alloc.pageheap.MemoryPressure;
import dev.pagoda.alloc.small.HeapEngine;
import dev.pagoda.alloc.small.ThreadCache;

/**
 * A thread-bound handle on a {@link Heap}, like a confined {@link java.lang.foreign.Arena}: the fastest way to
 * allocate and free, because the thread's cache is in the handle instead of behind a thread-local lookup.
 *
 * {@snippet :
 * try (Heap heap = Heap.create(); LocalHeap local = heap.local()) {
 *     long a = local.allocate(64);        // zeroed unless the heap skips zeroing
 *     local.free(a);                      // any address of the heap; another thread's objects too
 * }
 * }
 *
 * <p><b>Contract.</b> The same as the heap's {@link Heap#allocate(long)}, {@link Heap#allocate(long, long)},
 * {@link Heap#free(long)} and {@link Heap#usableSize(long)}: the same size classes, zeroing, alignment, exact
 * double-free and foreign-free detection, and the same memory: an address from the handle may be freed through the
 * heap or by any other thread, and the handle frees any address of its heap (its thread's objects at once, others'
 * as remote frees).
 *
 * <p><b>Bound to its thread.</b> Every call from another thread than the one that made the handle throws
 * {@link WrongThreadException}; every call after {@link #close()} or after the heap was closed throws
 * {@link IllegalStateException}. Both are field compares. On a platform thread the handle uses the thread's own
 * span cache, the one the heap's default API uses on that thread, which goes back to the heap when the thread ends;
 * on a virtual thread it has a cache of its own instead of the shared shard caches, handed back at {@link #close()}
 * or when the virtual thread ends. Each {@link Heap#local()} makes a new handle; handles of one thread share its cache.
 *
 * <p>Raw addresses are the caller's responsibility after {@code free} or after the heap is closed, as with
 * {@link Heap}.
 */
public final class LocalHeap implements AutoCloseable {
    private final HeapEngine engine;
    private final ThreadCache cache;
    private final Thread owner;
    /** The heap's reclaimers: a failure at the memory limit asks them (on this thread), then retries. */
    private final MemoryPressure pressure;
    private boolean closed;

    LocalHeap(final HeapEngine engine, final MemoryPressure pressure) {
        this.engine = engine;
        this.pressure = pressure;
        this.owner = Thread.currentThread();
        this.cache = engine.localCache();
    }

    /**
     * Allocates {@code size} bytes, aligned to 16 bytes ({@link Heap#allocate(long)}).
     *
     * @param size the bytes wanted, at least 1
     * @return the address; never 0
     * @throws IllegalArgumentException if {@code size} is not positive or too large to round up
     * @throws PagodaOutOfMemoryError   if the heap's budget is exhausted, the OS refuses memory, or the memory limit
     *                                  is reached and the heap's {@link Reclaimer}s cannot free enough
     * @throws IllegalStateException    if the handle or the heap is closed
     * @throws WrongThreadException     if called from another thread than the handle's
     */
    public long allocate(final long size) {
        check();
        if (!pressure.active()) {
            return engine.allocate(cache, size); // no exception handler on the fast path of a heap without reclaimers
        }
        try {
            return engine.allocate(cache, size);
        } catch (final PagodaOutOfMemoryError e) {
            return pressure.retry(e, () -> engine.allocate(cache, size));
        }
    }

    /**
     * Allocates {@code size} bytes aligned to {@code alignment} ({@link Heap#allocate(long, long)}).
     *
     * @param size      the bytes wanted, at least 1
     * @param alignment a power of two
     * @return the address, a multiple of {@code alignment}; never 0
     * @throws IllegalArgumentException if {@code size} is not positive or {@code alignment} not a power of two
     * @throws PagodaOutOfMemoryError   if the heap's budget is exhausted, the OS refuses memory, or the memory limit
     *                                  is reached and the heap's {@link Reclaimer}s cannot free enough
     * @throws IllegalStateException    if the handle or the heap is closed
     * @throws WrongThreadException     if called from another thread than the handle's
     */
    public long allocate(final long size, final long alignment) {
        check();
        if (!pressure.active()) {
            return engine.allocate(cache, size, alignment);
        }
        try {
            return engine.allocate(cache, size, alignment);
        } catch (final PagodaOutOfMemoryError e) {
            return pressure.retry(e, () -> engine.allocate(cache, size, alignment));
        }
    }

    /**
     * Frees an allocation of the heap, made by this handle, the heap or any thread ({@link Heap#free(long)}).
     *
     * @param address an address returned by the heap or one of its handles and not freed since
     * @throws IllegalArgumentException if {@code address} is 0, was not returned by this heap, is interior to an
     *                                  allocation, or was freed already
     * @throws IllegalStateException    if the handle or the heap is closed
     * @throws WrongThreadException     if called from another thread than the handle's
     */
    public void free(final long address) {
        check();
        engine.free(cache, address);
    }

    /**
     * The bytes usable at {@code address} ({@link Heap#usableSize(long)}).
     *
     * @param address a live allocation of the heap
     * @return at least the size asked for
     * @throws IllegalArgumentException if {@code address} is not a live allocation of the heap
     * @throws IllegalStateException    if the handle or the heap is closed
     * @throws WrongThreadException     if called from another thread than the handle's
     */
    public long usableSize(final long address) {
        check();
        return engine.usableSize(address);
    }

    /**
     * Closes the handle: later calls throw {@link IllegalStateException}. On a virtual thread its cache goes back to
     * the heap now; on a platform thread the cache is the thread's and stays for the heap's default API. Idempotent.
     *
     * @throws WrongThreadException if called from another thread than the handle's
     */
    @Override
    public void close() {
        if (Thread.currentThread() != owner) {
            throw new WrongThreadException("a LocalHeap is closed by the thread that made it");
        }
        if (!closed) {
            closed = true;
            engine.closeLocal(cache);
        }
    }

    private void check() {
        if (Thread.currentThread() != owner) {
            throw new WrongThreadException("a LocalHeap is used only by the thread that made it: " + owner);
        }
        if (closed || cache.isRetired()) {
            throw new IllegalStateException("the LocalHeap is closed, or its heap is");
        }
    }
}
