package dev.pagoda.os;

import java.time.Instant;

/** {@link Clock#system()}: {@link System#nanoTime()} and the UTC system clock. */
final class SystemClock implements Clock {
    static final SystemClock INSTANCE = new SystemClock();

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private SystemClock() {
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long wallTimeNanos() {
        // Instant.now() is the only public reading finer than milliseconds; escape analysis usually
        // removes the allocation once the caller is compiled.
        final Instant now = Instant.now();
        return now.getEpochSecond() * NANOS_PER_SECOND + now.getNano();
    }

    @Override
    public String toString() {
        return "Clock.system()";
    }
}
