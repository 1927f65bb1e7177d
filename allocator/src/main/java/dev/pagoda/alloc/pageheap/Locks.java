package dev.pagoda.alloc.pageheap;

import java.util.concurrent.locks.ReentrantLock;

/** Runs short actions under a lock; for slow paths only (the lambda may allocate). */
public final class Locks {
    private Locks() {
    }

    public static void locked(final ReentrantLock lock, final Runnable action) {
        lock.lock();
        try {
            action.run();
        } finally {
            lock.unlock();
        }
    }

    static <T> T lockedGet(final ReentrantLock lock, final java.util.function.Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }
}
