package dev.pagoda.os;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Clock} that moves only when told to, for deterministic tests of code that waits or paces.
 *
 * <p>The monotonic time starts at the value given to {@link Clock#fake(long)} and changes only through
 * {@link #advance(long)}, {@link #advance(Duration)} and {@link #setNanoTime(long)}, never backwards.
 * The wall time is the monotonic time plus an offset, so every advance moves both by the same amount;
 * {@link #setWallTimeNanos(long)} changes only the offset, as setting the system clock would, and may
 * move the wall time backwards.
 *
 * <p>All methods are thread-safe and lock-free. A reading taken concurrently with an update sees the
 * clock either before or after that update.
 */
public final class FakeClock implements Clock {
    private final AtomicLong nanoTime;
    private final AtomicLong wallOffset = new AtomicLong();

    FakeClock(final long startNanos) {
        nanoTime = new AtomicLong(startNanos);
    }

    /**
     * Reads the fake monotonic clock.
     *
     * @return the current fake monotonic time in nanoseconds
     */
    @Override
    public long nanoTime() {
        return nanoTime.get();
    }

    /**
     * Reads the fake wall clock.
     *
     * @return the current fake wall time: the monotonic time plus the wall offset
     */
    @Override
    public long wallTimeNanos() {
        return nanoTime.get() + wallOffset.get();
    }

    /**
     * Moves the monotonic and the wall time forward by {@code nanos}.
     *
     * @param nanos how far to move, in nanoseconds; zero is allowed
     * @return the monotonic time after the move
     * @throws IllegalArgumentException if {@code nanos} is negative, or if the monotonic time would
     *         overflow a {@code long}
     */
    public long advance(final long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("nanos must be >= 0 (a clock cannot go backwards): nanos=" + nanos);
        }

        while (true) {
            final long current = nanoTime.get();
            final long next = current + nanos;
            if (next < current) {
                throw new IllegalArgumentException(
                    "nanos would overflow the monotonic time: nanos=" + nanos + ", nanoTime=" + current);
            }
            if (nanoTime.compareAndSet(current, next)) {
                return next;
            }
        }
    }

    /**
     * Moves the monotonic and the wall time forward by {@code duration}.
     *
     * @param duration how far to move; zero is allowed
     * @return the monotonic time after the move
     * @throws IllegalArgumentException if {@code duration} is negative or does not fit a {@code long}
     *         of nanoseconds, or if the monotonic time would overflow a {@code long}
     * @throws NullPointerException if {@code duration} is null
     */
    public long advance(final Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException(
                "duration must be >= 0 (a clock cannot go backwards): duration=" + duration);
        }

        final long nanos;
        try {
            nanos = duration.toNanos();
        } catch (final ArithmeticException ex) {
            throw new IllegalArgumentException(
                "duration must fit a long of nanoseconds: duration=" + duration, ex);
        }

        return advance(nanos);
    }

    /**
     * Moves the monotonic time to {@code nanos}, and the wall time by the same amount.
     *
     * @param nanos the new monotonic time; must not be before the current one
     * @throws IllegalArgumentException if {@code nanos} is less than the current monotonic time
     */
    public void setNanoTime(final long nanos) {
        while (true) {
            final long current = nanoTime.get();
            if (nanos < current) {
                throw new IllegalArgumentException(
                    "nanos must be >= the current nanoTime (a monotonic clock cannot go backwards): nanos=" +
                    nanos + ", nanoTime=" + current);
            }
            if (nanoTime.compareAndSet(current, nanos)) {
                return;
            }
        }
    }

    /**
     * Sets the wall time to {@code epochNanos} without touching the monotonic time, as setting the
     * system clock does. Later advances move the wall time from this value.
     *
     * @param epochNanos the new wall time, in nanoseconds since the Unix epoch; may be earlier than now
     */
    public void setWallTimeNanos(final long epochNanos) {
        while (true) {
            final long current = nanoTime.get();
            wallOffset.set(epochNanos - current);
            if (nanoTime.get() == current) {
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "FakeClock[nanoTime=" + nanoTime() + ", wallTimeNanos=" + wallTimeNanos() + "]";
    }
}
