package dev.pagoda.bench.workload;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Reads and writes of raw addresses, whoever allocated them, through one segment that spans the whole address
 * space: the workloads write every allocator's blocks the same way, so that the writes cost them all alike.
 */
final class OffHeap {
    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private OffHeap() {
    }

    /**
     * Writes one byte.
     *
     * @param address the byte's address
     * @param value   the byte
     */
    static void putByte(final long address, final byte value) {
        EVERYTHING.set(JAVA_BYTE, address, value);
    }

    /**
     * Reads eight bytes, at any alignment.
     *
     * @param address the first byte's address
     * @return the bytes as a {@code long} in native order
     */
    static long getLong(final long address) {
        return EVERYTHING.get(JAVA_LONG_UNALIGNED, address);
    }

    /**
     * Writes eight bytes, at any alignment.
     *
     * @param address the first byte's address
     * @param value   the bytes as a {@code long} in native order
     */
    static void putLong(final long address, final long value) {
        EVERYTHING.set(JAVA_LONG_UNALIGNED, address, value);
    }

    /**
     * Sets every byte of a block, as {@code memset} does.
     *
     * @param address the block's address
     * @param size    its bytes
     * @param value   the byte to write
     */
    static void fill(final long address, final int size, final byte value) {
        EVERYTHING.asSlice(address, size).fill(value);
    }
}
