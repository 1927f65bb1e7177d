package dev.pagoda.pool;

import java.lang.foreign.ValueLayout;

/** Page stamps for the pool's tests: a value in a page's first and last long, written and read back. */
final class TestPages {
    private TestPages() {
    }

    /** Writes {@code value} into the first and last long of page {@code pid} under an exclusive fix, dirty. */
    static void stamp(final BufferPool pool, final long pid, final long value) {
        final long off = pool.fixExclusive(pid);
        pool.frames().set(ValueLayout.JAVA_LONG, off, value);
        pool.frames().set(ValueLayout.JAVA_LONG, off + pool.pageSize() - 8, value);
        pool.markDirty(pid);
        pool.unfixExclusive(pid);
    }

    /** The first long of page {@code pid}, read optimistically. */
    static long first(final BufferPool pool, final long pid) {
        return pool.readOptimistic(pid, (f, o) -> f.get(ValueLayout.JAVA_LONG, o));
    }
}
