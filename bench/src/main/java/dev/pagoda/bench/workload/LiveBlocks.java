package dev.pagoda.bench.workload;

import java.util.Arrays;
import java.util.SplittableRandom;

/** The blocks a workload holds: each one's handle and size, in no order. */
final class LiveBlocks {
    private long[] handles = new long[1 << 16];
    private int[] sizes = new int[1 << 16];
    private int count;
    private long bytes;

    /**
     * Adds a block.
     *
     * @param handle the allocator's handle
     * @param size   the bytes asked for
     */
    void add(final long handle, final int size) {
        if (count == handles.length) {
            handles = Arrays.copyOf(handles, 2 * count);
            sizes = Arrays.copyOf(sizes, 2 * count);
        }
        handles[count] = handle;
        sizes[count] = size;
        count++;
        bytes += size;
    }

    /**
     * Takes out one block chosen uniformly at random.
     *
     * @param random the source of the choice
     * @return the block's handle
     * @throws IllegalStateException if there is no block
     */
    long removeRandom(final SplittableRandom random) {
        if (count == 0) {
            throw new IllegalStateException("no live block");
        }
        final int i = random.nextInt(count);
        final long handle = handles[i];
        bytes -= sizes[i];
        count--;
        handles[i] = handles[count];
        sizes[i] = sizes[count];
        return handle;
    }

    /**
     * The blocks held.
     *
     * @return the count
     */
    int count() {
        return count;
    }

    /**
     * The bytes of the blocks held, as asked for.
     *
     * @return the sum of their sizes
     */
    long bytes() {
        return bytes;
    }
}
