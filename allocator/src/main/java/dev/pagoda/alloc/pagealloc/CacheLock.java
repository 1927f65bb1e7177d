package dev.pagoda.alloc.pagealloc;

import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * The lock of one {@link PageCache}: a plain mutual-exclusion lock, not reentrant, with no owner bookkeeping, for
 * the page caches' fast path. Uncontended, {@link #lock()} is one compare-and-set and {@link #unlock()} one volatile
 * store: cheaper than the monitor it replaces and than a {@link java.util.concurrent.locks.ReentrantLock}, and,
 * unlike a monitor, it may be taken and released outside block structure, so that a whole-heap view can hold any
 * number of cache locks taken in a loop. A blocked thread parks in the {@link AbstractQueuedSynchronizer} queue
 * and is woken by the unlock.
 *
 * <p>Contract: the thread that locked it unlocks it, once; a thread never locks a cache lock it holds (it would
 * wait for itself forever). Lock order: see {@code PageCaches}.
 */
public final class CacheLock extends AbstractQueuedSynchronizer {
    private static final long serialVersionUID = 1L;

    /** Takes the lock, waiting (not interruptibly) while another thread holds it. */
    public void lock() {
        if (!compareAndSetState(0, 1)) {
            acquire(1);
        }
    }

    /** Releases the lock, waking a waiting thread if there is one. */
    public void unlock() {
        release(1);
    }

    /** Whether some thread holds the lock; for assertions and tests. */
    boolean isLocked() {
        return getState() != 0;
    }

    @Override
    protected boolean tryAcquire(final int ignored) {
        return compareAndSetState(0, 1);
    }

    @Override
    protected boolean tryRelease(final int ignored) {
        setState(0);
        return true;
    }
}
