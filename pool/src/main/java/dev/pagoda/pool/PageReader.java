package dev.pagoda.pool;

import java.lang.foreign.MemorySegment;

/**
 * Reads a page without locking it, for {@link BufferPool#readOptimistic}: the pool runs it, then checks that no
 * writer and no eviction came between, and runs it again if one did.
 *
 * <p>So a reader must be ready to see the page change under it, as with a {@link java.util.concurrent.locks.StampedLock}
 * optimistic read: it may run several times, it may read a half-written page in a run whose result is thrown away,
 * and it must not act on what it read (store it elsewhere, follow it into other pages) before it returns. It may
 * throw in such a run (an index read from torn bytes is out of bounds, say): the pool retries, and passes the
 * exception on only if the page was stable while it ran. Only the result of the run that the pool validates is
 * returned.
 *
 * <p>A lambda that captures nothing is created once, so a hot loop that passes one allocates nothing; one that needs
 * per-call arguments can be a reusable object with fields the caller sets before each call.
 */
@FunctionalInterface
public interface PageReader {
    /**
     * Reads the page at {@code offset} of {@code frames}.
     *
     * @param frames the pool's {@linkplain BufferPool#frames() frames}
     * @param offset the page's offset in them, {@code pid × pageSize}
     * @return whatever the caller wants back, for example a value read from the page or a checksum of it
     */
    long read(MemorySegment frames, long offset);
}
