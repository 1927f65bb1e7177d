package dev.pagoda.verify;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Stamps and checks the contents of raw heap blocks for the concurrent tests: a block gets a word derived from a
 * caller's tag and the word's offset every {@value #STRIDE} bytes and in its last 8 bytes (the strided words stop
 * short of the last one, which may be unaligned); the check reads those
 * words back and names the first offset that changed. Because a word depends on the offset, not the address, a
 * block copied elsewhere (by {@code reallocate}) still checks against its old tag, up to the copied length.
 */
final class BlockPattern {
    /** Bytes between stamped words. */
    static final long STRIDE = 64;
    private static final MemorySegment ZEROS = Arena.global().allocate(64 << 10);

    private BlockPattern() {
    }

    @SuppressWarnings("restricted")
    static MemorySegment segment(final long address, final long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    /**
     * Writes the pattern of {@code tag} into a block.
     *
     * @param length the block's bytes, at least 8
     */
    static void stamp(final long address, final long length, final long tag) {
        final MemorySegment s = segment(address, length);
        final long last = length - 8;
        for (long off = 0; off + 8 <= last; off += STRIDE) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, off, word(tag, off));
        }
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, last, word(tag, last));
    }

    /**
     * The first offset whose stamped word differs from the pattern of {@code tag}.
     *
     * @return the offset, or -1 if the block is intact
     */
    static long firstDamage(final long address, final long length, final long tag) {
        return firstDamage(address, length, tag, length);
    }

    /**
     * Like {@link #firstDamage(long, long, long)} for a block stamped with {@code stamped} bytes of which only the
     * first {@code limit} are still expected to hold the pattern (the part {@code reallocate} copied).
     */
    static long firstDamage(final long address, final long stamped, final long tag, final long limit) {
        final MemorySegment s = segment(address, limit);
        final long last = stamped - 8;
        for (long off = 0; off + 8 <= Math.min(limit, last); off += STRIDE) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, off) != word(tag, off)) {
                return off;
            }
        }
        if (stamped <= limit && s.get(ValueLayout.JAVA_LONG_UNALIGNED, last) != word(tag, last)) {
            return last;
        }
        return -1;
    }

    /**
     * The first byte of a range that is not zero, compared in full.
     *
     * @return its offset from {@code address}, or -1 if every byte is zero
     */
    static long firstNonZero(final long address, final long length) {
        final MemorySegment s = segment(address, length);
        for (long off = 0; off < length; off += ZEROS.byteSize()) {
            final long n = Math.min(ZEROS.byteSize(), length - off);
            final long at = MemorySegment.mismatch(s, off, off + n, ZEROS, 0, n);
            if (at >= 0) {
                return off + at;
            }
        }
        return -1;
    }

    /** The word stamped at {@code offset} for {@code tag}: a 64-bit mix, odd so that it is never zero. */
    static long word(final long tag, final long offset) {
        long z = tag * 0x9E3779B97F4A7C15L + offset;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31) | 1;
    }
}
