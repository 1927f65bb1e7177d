package dev.pagoda.alloc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Zeroing of memory the allocator hands out. Measured on JDK 25 ({@code bench}'s {@code ZeroFillBenchmark}):
 * from one page up, a counted loop of 8-byte stores through the everything-segment, which C2 unrolls and
 * vectorises, runs about twice as fast as {@code MemorySegment.fill}, whose native {@code setMemory} routine
 * wins only for small blocks (the design brief measured {@code fill} ahead below 1 KiB).
 */
final class Zero {
    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    /** Below this, {@code fill}; from it, the store loop. */
    private static final long LOOP_FROM = 4096;

    private Zero() {
    }

    /** Zeroes {@code [address, address + bytes)}; both multiples of 8 when {@code bytes >= LOOP_FROM}. */
    static void zero(final long address, final long bytes) {
        if (bytes < LOOP_FROM) {
            EVERYTHING.asSlice(address, bytes).fill((byte) 0);
            return;
        }
        for (long off = 0; off < bytes; off += Long.BYTES) {
            EVERYTHING.set(ValueLayout.JAVA_LONG_UNALIGNED, address + off, 0L);
        }
    }

    /** The segment over all memory, for copies. */
    static MemorySegment everything() {
        return EVERYTHING;
    }
}
