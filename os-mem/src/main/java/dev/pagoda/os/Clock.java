package dev.pagoda.os;

/**
 * A source of time: a monotonic clock for measuring intervals and a wall clock for timestamps.
 *
 * <p>{@link #nanoTime()} never goes backwards and has no relation to the calendar; only the difference
 * of two readings means anything, exactly as for {@link System#nanoTime()}. {@link #wallTimeNanos()}
 * is the number of nanoseconds since the Unix epoch (1970-01-01T00:00:00Z); it may jump forwards or
 * backwards when the system clock is set, so it must never be used to measure an interval.
 *
 * <p>Code that waits, paces or times out takes a {@code Clock} instead of calling {@link System}
 * directly, so that tests can drive it with {@link #fake(long)} and never sleep. Implementations are
 * thread-safe.
 */
public interface Clock {
    /**
     * Reads the monotonic clock.
     *
     * @return the current value of the monotonic clock in nanoseconds; meaningful only as the difference
     *         with another reading of the same clock
     */
    long nanoTime();

    /**
     * Reads the wall clock.
     *
     * @return nanoseconds since the Unix epoch, in UTC
     */
    long wallTimeNanos();

    /**
     * The clock of the running system: {@link System#nanoTime()} and the UTC system clock.
     *
     * <p>The wall time has the resolution the operating system offers (typically microseconds or better
     * on Linux) and fits in a {@code long} until the year 2262.
     *
     * @return the system clock, the same instance on every call
     */
    static Clock system() {
        return SystemClock.INSTANCE;
    }

    /**
     * A clock that stands still until it is moved, for tests.
     *
     * <p>Both its monotonic and its wall time start at {@code startNanos} and advance together; see
     * {@link FakeClock}.
     *
     * @param startNanos the initial reading of both the monotonic and the wall clock
     * @return a new fake clock
     */
    static FakeClock fake(final long startNanos) {
        return new FakeClock(startNanos);
    }
}
