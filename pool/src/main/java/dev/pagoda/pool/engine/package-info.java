/**
 * The buffer pool's engine, not exported: {@link dev.pagoda.pool.engine.PoolEngine} (the fixes and optimistic reads,
 * each a short fast path with its waits out of line; allocation, flushing, closing, and the lock order),
 * {@link dev.pagoda.pool.engine.Loader} (a miss), {@link dev.pagoda.pool.engine.Evictor} (the clock and its batches),
 * {@link dev.pagoda.pool.engine.WriteBack} (dirty pages to the file), {@link dev.pagoda.pool.engine.PoolCounters}
 * and {@link dev.pagoda.pool.engine.ThreadCounter} (the figures; hits counted per thread without atomics),
 * {@link dev.pagoda.pool.engine.PageState} (the state word's layout, and how a waiter backs off),
 * {@link dev.pagoda.pool.engine.PageTable} (the words and clock slots, off the heap),
 * {@link dev.pagoda.pool.engine.FrameSlots} (the clock's ring), {@link dev.pagoda.pool.engine.PoolMemory} (the
 * reservations, their mapping, batch releases, and the shadow behind a simulated OS),
 * {@link dev.pagoda.pool.engine.PageFile} (the file, its lock, positional transfers, interrupts and {@code O_DIRECT}),
 * {@link dev.pagoda.pool.engine.PoolGate} (what {@code close()} waits for) and
 * {@link dev.pagoda.pool.engine.PoolMonitor} (JMX). The design is in the package documentation of
 * {@code dev.pagoda.pool}. The engine uses the API package's values and interfaces ({@code BufferPoolStats},
 * {@code PageReader}, {@code BufferPoolMXBean}), never {@code BufferPool} or its builder.
 */
package dev.pagoda.pool.engine;
