/**
 * The buffer pool's engine, not exported: {@link dev.pagoda.pool.engine.PoolEngine} (fixes, loads, the clock,
 * flushing, allocation, closing, and the lock order), {@link dev.pagoda.pool.engine.PageState} (the state word's
 * layout), {@link dev.pagoda.pool.engine.PageTable} (the words and clock slots, off the heap),
 * {@link dev.pagoda.pool.engine.FrameSlots} (the clock's ring), {@link dev.pagoda.pool.engine.PoolMemory} (the
 * reservations, their mapping, and the shadow behind a simulated OS), {@link dev.pagoda.pool.engine.PageFile} (the
 * file, its lock, positional transfers, interrupts and {@code O_DIRECT}), {@link dev.pagoda.pool.engine.PoolGate}
 * (what {@code close()} waits for) and {@link dev.pagoda.pool.engine.PoolMonitor} (JMX). The design is in the package
 * documentation of {@code dev.pagoda.pool}. The engine uses the API package's values and interfaces
 * ({@code BufferPoolStats}, {@code PageReader}, {@code BufferPoolMXBean}), never {@code BufferPool} or its builder.
 */
package dev.pagoda.pool.engine;
