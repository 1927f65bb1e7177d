package dev.pagoda.bench.vmcache;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** The sum a {@link PageStore#read} returns, over a page in a segment. */
final class Words {
    private Words() {
    }

    /**
     * Sums the words at every {@link PageStore#READ_STRIDE} bytes of a page.
     *
     * @param segment  the segment holding the page
     * @param offset   the page's offset in it
     * @param pageSize bytes per page
     * @return the sum
     */
    static long sum(final MemorySegment segment, final long offset, final long pageSize) {
        long sum = 0;
        for (long o = 0; o < pageSize; o += PageStore.READ_STRIDE) {
            sum += segment.get(JAVA_LONG, offset + o);
        }
        return sum;
    }
}
