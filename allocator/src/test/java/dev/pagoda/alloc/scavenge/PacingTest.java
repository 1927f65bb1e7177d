package dev.pagoda.alloc.scavenge;

import dev.pagoda.os.Clock;
import dev.pagoda.os.FakeClock;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The background scavenger's pacing, driven by a fake clock: the loop sleeps as long as {@link
 * BackgroundScavenger#runOnce()} asks, and each step of a heap "costs" fake time.
 */
class PacingTest {
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1000 * MS;

    private final FakeClock clock = Clock.fake(0);

    /** A heap that always has work, each step costing {@code cost} ns of the fake clock. */
    private BackgroundScavenger.Target busyHeap(final long cost, final AtomicLong work) {
        return () -> {
            clock.advance(cost);
            work.addAndGet(cost);
            return 64 << 10;
        };
    }

    /** Runs the loop for {@code duration} of fake time; returns the longest sleep it asked for. */
    private long run(final BackgroundScavenger loop, final long duration) {
        final long end = clock.nanoTime() + duration;
        long longest = 0;
        while (clock.nanoTime() < end) {
            final long sleep = loop.runOnce();
            longest = Math.max(longest, sleep);
            clock.advance(sleep);
        }
        return longest;
    }

    @Test
    void shouldSpendOnePercentOfOneCoreOverTheLongRun() {
        final BackgroundScavenger loop = new BackgroundScavenger(clock, 0.01, 10 * SECOND);
        final AtomicLong work = new AtomicLong();
        final BackgroundScavenger.Target heap = busyHeap(10_000, work); // 10 µs per 64 KiB, Go's estimate
        loop.register(heap);
        final long duration = 600 * SECOND;
        run(loop, duration);
        final double fraction = (double) work.get() / duration;
        // Over T the work is at most 1% of (T + window) plus one slice of overrun; and the budget is used.
        assertTrue(work.get() <= 0.01 * (duration + 10 * SECOND) + BackgroundScavenger.WORK_SLICE,
                () -> "spent " + fraction + " of one core");
        assertTrue(fraction >= 0.0099, () -> "spent only " + fraction + " of one core with work always waiting");
    }

    @Test
    void shouldSpendSavedCreditAtOnceAfterAQuietSpell() {
        final BackgroundScavenger loop = new BackgroundScavenger(clock, 0.01, 10 * SECOND);
        final AtomicLong work = new AtomicLong();
        final BackgroundScavenger.Target heap = busyHeap(100_000, work);
        loop.register(heap);
        // The bucket starts full: 100 ms of work (1% of a 10 s window) goes at once, then 1% of the time after.
        final long t0 = clock.nanoTime();
        while (loop.runOnce() == 0) {
            assertTrue(clock.nanoTime() - t0 < SECOND, "a burst never outlasts its credit");
        }
        assertTrue(work.get() >= 99 * MS && work.get() <= 100 * MS + BackgroundScavenger.WORK_SLICE,
                () -> "burst of " + work.get() / MS + " ms");
    }

    @Test
    void shouldSleepAndNeverSpinWhenNoHeapHasWork() {
        final BackgroundScavenger loop = new BackgroundScavenger(clock, 0.01, 10 * SECOND);
        final AtomicLong steps = new AtomicLong();
        final BackgroundScavenger.Target idle = () -> {
            steps.incrementAndGet();
            return 0;
        };
        loop.register(idle);
        for (int i = 0; i < 10; i++) {
            assertEquals(BackgroundScavenger.IDLE_POLL_MS * MS, loop.runOnce(), "an idle round sleeps");
        }
        assertEquals(10, steps.get(), "one look per round");
        loop.unregister(idle);
        assertTrue(!loop.hasTargets());
    }

    @Test
    void shouldGoOnAfterAHeapsStepFails() {
        final BackgroundScavenger loop = new BackgroundScavenger(clock, 0.01, 10 * SECOND);
        final AtomicLong work = new AtomicLong();
        final AtomicLong attempts = new AtomicLong();
        final BackgroundScavenger.Target broken = () -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("injected");
        };
        final BackgroundScavenger.Target heap = busyHeap(10_000, work);
        loop.register(broken);
        loop.register(heap);
        assertEquals(0, loop.runOnce(), "the healthy heap still worked");
        assertTrue(work.get() > 0);
        assertEquals(1, attempts.get(), "the failing heap sits out the rest of the round");
        loop.runOnce();
        assertEquals(2, attempts.get(), "and is tried again in the next one");
    }

    @Test
    void shouldRefuseAFractionOutsideZeroToOne() {
        assertThrows(IllegalArgumentException.class, () -> new Pacer(0, SECOND, 0));
        assertThrows(IllegalArgumentException.class, () -> new Pacer(1.5, SECOND, 0));
        assertThrows(IllegalArgumentException.class, () -> new Pacer(Double.NaN, SECOND, 0));
    }

    @Test
    void shouldReadTheBudgetFromItsPropertyAndRefuseNonsense() {
        assertEquals(0.01, BackgroundScavenger.fraction(null), "1% of one core by default");
        assertEquals(0.25, BackgroundScavenger.fraction(" 25 "));
        assertEquals(1.0, BackgroundScavenger.fraction("100"));
        for (final String bad : new String[] {"0", "-1", "101", "NaN", "lots"}) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BackgroundScavenger.fraction(bad));
            assertTrue(e.getMessage().contains("pagoda.scavenger.cpuPercent=" + bad), e.getMessage());
        }
    }

    @Test
    void shouldKeepCreditThroughManySmallRefills() {
        final Pacer pacer = new Pacer(0.01, 10 * SECOND, 0);
        pacer.charge(100 * MS, 0);
        assertEquals(0, pacer.credit(0), "the full bucket is spent");
        for (long t = 10; t <= 10 * MS; t += 10) {
            pacer.credit(t); // refills 0.1 ns of work every 10 ns: must not be rounded away
        }
        assertEquals(100_000, pacer.credit(10 * MS), 1, "1% of 10 ms");
        assertEquals(0, pacer.nanosUntil(100_000, 10 * MS));
        assertEquals(10 * MS, pacer.nanosUntil(200_000, 10 * MS), 100, "100 µs more take 10 ms at 1%");
    }
}
