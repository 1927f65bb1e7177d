package dev.pagoda.bench.workload;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Buffer objects named by {@code int} handles, with each one's address beside it, for the allocators that hand
 * out objects rather than addresses. Safe for any number of threads: a handle may be removed on another thread
 * than the one that added it, provided the workload passed it over with a happens-before edge (a volatile write
 * and read, a lock, a thread start), as it must anyway to share the block.
 *
 * <p>Handles are indexes into chunks of 4096 slots that are created as needed and never moved, so that a lookup
 * takes no lock. Each thread keeps a stack of the handles it removed and reuses them first; no Java object is
 * allocated per operation once the chunks and the stacks have grown to the workload's size.
 *
 * @param <T> the buffer objects' type
 */
final class HandleTable<T> {
    private static final int CHUNK_SHIFT = 12;
    private static final int CHUNK_MASK = (1 << CHUNK_SHIFT) - 1;
    private static final int MAX_CHUNKS = 1 << 16;

    private final AtomicReferenceArray<Chunk> chunks = new AtomicReferenceArray<>(MAX_CHUNKS);
    /** The first handle never handed out. */
    private final AtomicInteger high = new AtomicInteger();
    private final ThreadLocal<Vacant> vacant = ThreadLocal.withInitial(Vacant::new);

    /**
     * Stores a buffer.
     *
     * @param buffer  the buffer
     * @param address the address of its first byte
     * @return its handle, at least 0
     * @throws IllegalStateException if the table holds 2<sup>28</sup> handles already
     */
    int add(final T buffer, final long address) {
        final Vacant mine = vacant.get();
        final int handle = mine.count > 0 ? mine.handles[--mine.count] : fresh();
        final Chunk chunk = chunks.get(handle >>> CHUNK_SHIFT);
        chunk.buffers[handle & CHUNK_MASK] = buffer;
        chunk.addresses[handle & CHUNK_MASK] = address;
        return handle;
    }

    /**
     * The address stored with a buffer.
     *
     * @param handle a handle from {@link #add}, not removed
     * @return the address
     */
    long address(final int handle) {
        return chunks.get(handle >>> CHUNK_SHIFT).addresses[handle & CHUNK_MASK];
    }

    /**
     * Takes a buffer out; its handle will be handed out again.
     *
     * @param handle a handle from {@link #add}, not removed
     * @return the buffer
     */
    @SuppressWarnings("unchecked")
    T remove(final int handle) {
        final Chunk chunk = chunks.get(handle >>> CHUNK_SHIFT);
        final T buffer = (T) chunk.buffers[handle & CHUNK_MASK];
        chunk.buffers[handle & CHUNK_MASK] = null;
        vacant.get().push(handle);
        return buffer;
    }

    private int fresh() {
        final int handle = high.getAndIncrement();
        final int index = handle >>> CHUNK_SHIFT;
        if (handle < 0 || index >= MAX_CHUNKS) {
            throw new IllegalStateException("handle table full");
        }
        if (chunks.get(index) == null) {
            chunks.compareAndSet(index, null, new Chunk());
        }
        return handle;
    }

    /** One chunk of slots. */
    private static final class Chunk {
        private final Object[] buffers = new Object[1 << CHUNK_SHIFT];
        private final long[] addresses = new long[1 << CHUNK_SHIFT];
    }

    /** One thread's removed handles, as a stack. */
    private static final class Vacant {
        private int[] handles = new int[256];
        private int count;

        void push(final int handle) {
            if (count == handles.length) {
                handles = Arrays.copyOf(handles, 2 * count);
            }
            handles[count++] = handle;
        }
    }
}
