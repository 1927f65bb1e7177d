package dev.pagoda.alloc;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Views of {@link Heap} allocations as agrona buffers, for code written against agrona's
 * {@link MutableDirectBuffer} / {@link UnsafeBuffer} API.
 *
 * <p>agrona is an optional dependency: only this class needs it on the class or module path, and the rest of
 * Pagoda runs without it. agrona 2.x uses the JDK's internal {@code Unsafe} class, so a JVM that uses these views
 * needs {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} (class path) or
 * {@code --add-exports java.base/jdk.internal.misc=org.agrona} (module path).
 *
 * <p>A view is only a window: it does not own the memory. It must not be used after the allocation is freed
 * or the heap closed, and nothing checks that, exactly as with any {@code UnsafeBuffer} wrapping an address;
 * code that wants checked lifetimes uses {@link Heap#newArena()} segments instead. Allocations of 2 GiB or more
 * cannot be wrapped (agrona's capacity is an {@code int}).
 *
 * {@snippet :
 * long address = heap.allocate(4096);
 * UnsafeBuffer buffer = AgronaViews.wrap(heap, address);   // capacity 4096
 * buffer.putLong(0, 42L);
 * heap.free(address);                                       // the view is dead from here on
 * }
 */
public final class AgronaViews {
    private AgronaViews() {
    }

    /**
     * A buffer over the whole usable size of a live allocation.
     *
     * @param heap    the heap that returned {@code address}
     * @param address a live allocation of {@code heap}
     * @return a new {@link UnsafeBuffer} of capacity {@code heap.usableSize(address)}
     * @throws IllegalArgumentException if {@code address} is not a live allocation of {@code heap}, or its usable
     *                                  size is 2 GiB or more
     * @throws IllegalStateException    if the heap is closed
     */
    @SuppressWarnings("exports") // agrona is optional: users of these views require org.agrona themselves
    public static UnsafeBuffer wrap(final Heap heap, final long address) {
        return wrap(heap, address, heap.usableSize(address));
    }

    /**
     * A buffer over the first {@code length} bytes of a live allocation.
     *
     * @param heap    the heap that returned {@code address}
     * @param address a live allocation of {@code heap}
     * @param length  the view's capacity, at most the allocation's usable size and below 2 GiB
     * @return a new {@link UnsafeBuffer}
     * @throws IllegalArgumentException if {@code address} is not a live allocation of {@code heap}, or
     *                                  {@code length} is negative, above the usable size, or 2 GiB or more
     * @throws IllegalStateException    if the heap is closed
     */
    @SuppressWarnings("exports")
    public static UnsafeBuffer wrap(final Heap heap, final long address, final long length) {
        final long usable = heap.usableSize(address);
        if (length < 0 || length > usable) {
            throw new IllegalArgumentException("length must be between 0 and the usable size " + usable
                    + ": length=" + length);
        }
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("agrona buffers hold less than 2 GiB; use a MemorySegment: length="
                    + length);
        }
        return new UnsafeBuffer(address, (int) length);
    }
}
