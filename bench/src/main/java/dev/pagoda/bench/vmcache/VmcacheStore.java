package dev.pagoda.bench.vmcache;

import dev.pagoda.pool.BufferPool;
import dev.pagoda.pool.PageReader;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Pagoda's vmcache pool ({@link BufferPool}) as a {@link PageStore}: reads under a shared fix, or, if built
 * optimistic, through {@link BufferPool#readOptimistic} (no lock at all, validated by the page's version); updates
 * under an exclusive fix with {@link BufferPool#markDirty}. Buffered I/O, frames not locked, no JMX.
 */
final class VmcacheStore implements PageStore {
    private final BufferPool pool;
    private final MemorySegment frames;
    private final long pageSize;
    private final boolean optimistic;
    /** Created once: the reader captures only the page size, so passing it allocates nothing. */
    private final PageReader reader;

    VmcacheStore(final Path file, final long pageSize, final long pages, final long budgetBytes,
                 final boolean optimistic) {
        this.pool = BufferPool.builder().file(file).pageSize(pageSize).maxPages(pages).memoryBudget(budgetBytes)
                .jmx(false).build();
        this.frames = pool.frames();
        this.pageSize = pageSize;
        this.optimistic = optimistic;
        this.reader = (f, o) -> Words.sum(f, o, pageSize);
    }

    @Override
    public long read(final long pid) {
        if (optimistic) {
            return pool.readOptimistic(pid, reader);
        }
        final long off = pool.fixShared(pid);
        try {
            return Words.sum(frames, off, pageSize);
        } finally {
            pool.unfixShared(pid);
        }
    }

    @Override
    public void update(final long pid, final long value) {
        final long off = pool.fixExclusive(pid);
        try {
            frames.set(JAVA_LONG, off + UPDATE_OFFSET, value);
            pool.markDirty(pid);
        } finally {
            pool.unfixExclusive(pid);
        }
    }

    @Override
    public long heldBytes() {
        return pool.stats().residentBytes();
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return pool.toString();
    }
}
