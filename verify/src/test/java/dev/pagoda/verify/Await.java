package dev.pagoda.verify;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waiting in tests for something that gives no signal to wait on: a thread's cache handed back by the reaper after
 * the thread ended, an arena's {@link java.lang.ref.Cleaner} after a collection found it unreachable. The condition
 * is tested after each nudge, every few milliseconds, until it holds or the deadline passes; the caller then asserts
 * the outcome, so a deadline passed fails with the test's own message.
 */
final class Await {
    private static final long POLL_NANOS = 5_000_000;

    private Await() {
    }

    /**
     * Nudges and tests until {@code condition} holds or {@code timeout} has passed.
     *
     * @param timeout   the deadline, from now
     * @param nudge     what makes progress possible (a {@code System.gc()}), run before each test
     * @param condition what is awaited
     * @return whether the condition held before the deadline
     */
    static boolean until(final Duration timeout, final Runnable nudge, final BooleanSupplier condition) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            nudge.run();
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }
}
