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

    /** A heap with nothing to release that answers {@code budget} when the loop asks how fast it may go. */
    private static BackgroundScavenger.Target idleHeapAsking(final java.util.function.DoubleUnaryOperator budget) {
        return new BackgroundScavenger.Target() {
            @Override
            public long step() {
                return 0;
            }

            @Override
            public double budget(final double base) {
                return budget.applyAsDouble(base);
            }
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
    void shouldGoOnAtTheBaseWhenAHeapFailsToSayHowFastItWants() {
        final BackgroundScavenger loop = new BackgroundScavenger(clock, 0.01, 10 * SECOND);
        final AtomicLong work = new AtomicLong();
        final BackgroundScavenger.Target broken = idleHeapAsking(base -> {
            throw new IllegalStateException("injected");
        });
        loop.register(broken);
        loop.register(busyHeap(10_000, work));
        assertEquals(0, loop.runOnce(), "the healthy heap still worked");
        assertTrue(work.get() > 0);
        assertEquals(0.01, loop.fraction(), 1e-12, "at the base");
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
    void shouldKeepTheBaseNearTheGoalAndRiseOnlyFarAboveIt() {
        final double base = 0.01;
        final double max = 0.25;
        final long mib = 1L << 20;
        final double cost = Scavenger.INITIAL_NANOS_PER_BYTE;
        // Near the goal: at most twice it, whatever the sizes.
        for (final long goal : new long[] {0, 1, 8192, 100 * mib, 1L << 40}) {
            for (final long current : new long[] {0, goal, goal + goal / 2, 2 * goal}) {
                assertTrue(!Pacer.far(current, goal), current + " bytes against a goal of " + goal + " are near it");
            }
            assertTrue(Pacer.far(2 * goal + 1, goal), "just past twice the goal is far");
        }
        assertTrue(!Pacer.far(Long.MAX_VALUE - 1, Long.MAX_VALUE), "no goal (no soft target) is never far");
        // The drain pace: what returns the excess within half a second, between the base and the cap.
        assertEquals(base, Pacer.budget(base, max, 0, cost), "no excess: the base");
        assertEquals(base, Pacer.budget(base, max, mib, cost), "1 MiB takes 0.3 ms: the base is plenty");
        assertEquals(base, Pacer.budget(base, 0.005, 4L << 30, cost), "a cap below the base keeps the base");
        assertEquals(base, Pacer.budget(base, base, 4L << 30, cost), "a cap at the base keeps the base");
        assertEquals(256 * mib * cost / Pacer.DRAIN_NANOS, Pacer.budget(base, max, 256 * mib, cost), 1e-12,
                "256 MiB at 0.3 ms/MiB: 15% of a core returns it within half a second");
        assertEquals(max, Pacer.budget(base, max, 4L << 30, cost), "4 GiB would need more than the cap: the cap");
        double last = base;
        for (long excess = mib; excess < 64L << 30; excess *= 2) {
            final double f = Pacer.budget(base, max, excess, cost);
            assertTrue(f >= last && f >= base && f <= max, () -> "monotone and bounded at " + f);
            last = f;
        }
    }

    @Test
    void shouldPaceAtTheLargestShareAHeapAsksForAndComeBackToTheBase() {
        final BackgroundScavenger loop = new BackgroundScavenger(clock, 0.01, 10 * SECOND);
        final AtomicLong work = new AtomicLong();
        final double[] asked = {0.01};
        final BackgroundScavenger.Target near = busyHeap(10_000, work);
        final BackgroundScavenger.Target far = idleHeapAsking(base -> Math.max(base, asked[0]));
        loop.register(near);
        loop.register(far);
        run(loop, 20 * SECOND); // spend the saved credit
        asked[0] = 0.2;
        final long before = work.get();
        run(loop, 10 * SECOND);
        assertEquals(0.2, loop.fraction(), 1e-12, "the far heap's share is in force");
        final double spent = (double) (work.get() - before) / (10 * SECOND);
        assertTrue(spent > 0.19 && spent < 0.21, () -> "spent " + spent + " of one core at a pace of 20%");
        asked[0] = 0.01;
        final long after = work.get();
        run(loop, 100 * SECOND);
        assertEquals(0.01, loop.fraction(), 1e-12, "back at the base once no heap asks for more");
        // Credit saved at 20% is capped at the base's: no larger burst than 1% of the window afterwards.
        final double back = (double) (work.get() - after) / (100 * SECOND);
        assertTrue(back <= 0.01 + (0.01 * 10 * SECOND + BackgroundScavenger.WORK_SLICE) / (100.0 * SECOND),
                () -> "spent " + back + " of one core back at the base");
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
