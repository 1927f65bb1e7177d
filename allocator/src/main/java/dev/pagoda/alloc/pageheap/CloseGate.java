package dev.pagoda.alloc.pageheap;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The gate between a heap's system calls and its {@code close()}. Every sequence of system calls on the heap's
 * ranges together with the bookkeeping that makes its result known (growing an arena, releasing a run, making a
 * cache's pages Ready, reserving or unmapping a large run) runs between {@link #enter()} and {@link #exit()}.
 * {@link #close()} shuts the gate, so no sequence starts afterwards, and then waits until every sequence already
 * inside has left. So {@code close()} never unmaps a range under a system call in flight, never meets a range the
 * OS layer marks busy, and never misses a range that a racing sequence reserved but had not recorded yet.
 *
 * <p>It is a counter, not a lock: {@code enter} never blocks (it fails with {@link IllegalStateException} once the
 * gate is shut), so it imposes no lock order, and code inside may take any lock. {@code close} holds no lock while
 * it waits, and every sequence inside finishes in bounded time (a system call and a few lock acquisitions), so the
 * wait ends. The cost is two atomic updates per sequence, next to a system call of hundreds of nanoseconds; the
 * allocation fast paths, which make no system call, never pass the gate.
 *
 * <p>Correctness rests on the order of two volatile accesses on each side (Dekker's pattern): {@code enter}
 * increments the count, then reads the flag; {@code close} sets the flag, then reads the count. Java's volatile
 * accesses are sequentially consistent, so either {@code enter} sees the gate shut, or {@code close} sees the
 * sequence inside and waits for it.
 */
public final class CloseGate {
    private final AtomicLong inside = new AtomicLong();
    private volatile boolean shut;

    /**
     * Passes the gate; every successful call must be paired with one {@link #exit()} in a {@code finally}.
     *
     * @throws IllegalStateException if the heap is closed or closing
     */
    void enter() {
        inside.incrementAndGet();
        if (shut) {
            exit();
            throw closed();
        }
    }

    /** Leaves the gate. */
    void exit() {
        inside.decrementAndGet();
    }

    /** Whether the gate is shut: the heap is closed or closing. */
    boolean isShut() {
        return shut;
    }

    /**
     * Shuts the gate, then waits, with no lock held, until every sequence inside has left.
     *
     * @return true for the call that shut the gate, false if it was shut already (the caller then has nothing to
     *         do; the first caller may still be waiting)
     */
    boolean close() {
        synchronized (this) { // a leaf: nothing else is taken under it (also by PageHeapEngine.unmap)
            if (shut) {
                return false;
            }
            shut = true;
        }
        while (inside.get() != 0) {
            LockSupport.parkNanos(20_000);
        }
        return true;
    }

    /** The exception for use after close. */
    public static IllegalStateException closed() {
        return new IllegalStateException("the heap is closed");
    }
}
