package dev.pagoda.pool.engine;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * What {@code close()} waits for: every operation that makes system calls or file transfers on the pool's ranges
 * (a load on a miss, an eviction batch, a flush, an allocation) runs between {@link #enter()} and {@link #exit()}, and
 * {@link #shut()} refuses new ones and waits until those inside have left. So the pool never unmaps a frame under a
 * {@code pread} into it, never closes its arena while a transfer holds the arena's segment, and never closes the
 * file under a write. Fixes that hit a resident page make no such call and never pass the gate.
 *
 * <p>A counter, not a lock: {@code enter} never blocks, so the gate adds nothing to the lock order. The entering
 * side increments and then reads the flag; the shutting side sets the flag and then reads the count; with both
 * volatile one of them sees the other.
 */
public final class PoolGate {
    private final AtomicLong inside = new AtomicLong();
    private volatile boolean shut;

    /** A gate open to all. */
    public PoolGate() {
    }

    /**
     * Passes the gate; pair every successful call with one {@link #exit()} in a {@code finally}.
     *
     * @throws IllegalStateException if the pool is closing or closed
     */
    public void enter() {
        inside.incrementAndGet();
        if (shut) {
            inside.decrementAndGet();
            throw PoolEngine.closed();
        }
    }

    /** Leaves the gate. */
    public void exit() {
        inside.decrementAndGet();
    }

    /** Refuses every later {@link #enter()}, then waits, holding no lock, until every operation inside has left. */
    public void shut() {
        shut = true;
        while (inside.get() != 0) {
            LockSupport.parkNanos(20_000);
        }
    }
}
