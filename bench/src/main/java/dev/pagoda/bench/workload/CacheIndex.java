package dev.pagoda.bench.workload;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The on-heap side of the off-heap cache: for each key, from 0 to the capacity, the handle of its value's block
 * and the value's length. No Java object is allocated per operation: keys index two arrays.
 *
 * <p>A thread works on a key between {@link #claim} and {@link #release}: the claim swaps the key's handle for a
 * busy mark (spinning while another thread holds it), so that no value is freed while another thread reads it,
 * and the release publishes the handle and length it leaves there. On the key ranges of their own the workers
 * never meet; a put into another thread's range, which frees a block that thread allocated, waits at most for
 * one operation of that thread.
 */
final class CacheIndex {
    /** The handle of a key without value. */
    static final long EMPTY = -1;
    /** The mark of a claimed key. */
    private static final long BUSY = -2;

    private final AtomicLongArray handles;
    /** Written and read only between claim and release, which order them. */
    private final int[] lengths;

    /**
     * An index with every key empty.
     *
     * @param capacity the keys, from 0 to {@code capacity - 1}
     */
    CacheIndex(final int capacity) {
        handles = new AtomicLongArray(capacity);
        lengths = new int[capacity];
        for (int key = 0; key < capacity; key++) {
            handles.set(key, EMPTY);
        }
    }

    /**
     * Takes a key for this thread alone.
     *
     * @param key the key
     * @return its value's handle, or {@link #EMPTY}
     */
    long claim(final int key) {
        while (true) {
            final long handle = handles.get(key);
            if (handle != BUSY && handles.compareAndSet(key, handle, BUSY)) {
                return handle;
            }
            Thread.onSpinWait();
        }
    }

    /**
     * The length of a claimed key's value.
     *
     * @param key a key this thread claimed, with a value
     * @return bytes
     */
    int length(final int key) {
        return lengths[key];
    }

    /**
     * Lets a claimed key go, with a value.
     *
     * @param key    a key this thread claimed
     * @param handle the value's handle, or {@link #EMPTY}
     * @param length the value's length
     */
    void release(final int key, final long handle, final int length) {
        lengths[key] = length;
        handles.setRelease(key, handle);
    }
}
