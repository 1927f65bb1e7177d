package dev.pagoda.pool.engine;

import dev.pagoda.pool.BufferPoolStats;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A pool's figures, shared by the engine, the evictor and the write-back. Hits are counted per thread without an
 * atomic instruction ({@link ThreadCounter}); the rest are events of a miss, an eviction or a write, which cost a
 * system call each, so an adder is nothing beside them. {@link #resident} is not only a figure: the loaders reserve
 * their frames in it, and it never exceeds the budget.
 */
final class PoolCounters {
    /** Frames holding a page or being filled with one; never above the budget. */
    final AtomicLong resident = new AtomicLong();
    /** Resident frames locked in memory. */
    final AtomicLong lockedFrames = new AtomicLong();
    final ThreadCounter hits = new ThreadCounter();
    final LongAdder misses = new LongAdder();
    final LongAdder reads = new LongAdder();
    final LongAdder writes = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder dirty = new LongAdder();

    /**
     * The figures now.
     *
     * @param config    the pool's settings
     * @param pageCount pages in the file
     * @return a snapshot
     */
    BufferPoolStats snapshot(final PoolConfig config, final long pageCount) {
        return new BufferPoolStats(config.pageSize(), pageCount, config.maxPages(), config.budgetFrames(),
                resident.get(), dirty.sum(), lockedFrames.get(), hits.sum(), misses.sum(), reads.sum(), writes.sum(),
                evictions.sum());
    }
}
