package dev.pagoda.alloc.scavenge;

import dev.pagoda.alloc.HugePagePolicy;
import dev.pagoda.alloc.pageheap.PageHeapConfig;
import dev.pagoda.alloc.pageheap.PageHeapEngine;
import dev.pagoda.os.Clock;
import dev.pagoda.os.OsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The release pace follows the excess, end to end: a real page heap on the simulated OS, its real {@link Scavenger}
 * and the real {@link BackgroundScavenger} loop, on a clock that stands still except for the loop's sleeps and the
 * work of releasing, which costs what it costs on the machines measured (0.3 ms per MiB). After the idle credit is
 * spent, a drop of 512 MiB must go back within two seconds of simulated time, which the old fixed pace of 1% of one
 * core could not do; a heap that churns near its goal must keep the base pace.
 */
class ReleasePaceTest {
    private static final long MIB = 1L << 20;
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1000 * MS;
    /** Runs of 64 pages of 8 KiB. */
    private static final int RUN_PAGES = 64;
    private static final long RUN = RUN_PAGES * 8192L;

    /** Simulated time: the loop's sleeps, plus the work of every background release at 0.3 ms per MiB. */
    private static final class WorkClock implements Clock {
        private long idle;
        private PageHeapEngine engine;

        @Override
        public synchronized long nanoTime() {
            final long released = engine == null ? 0 : engine.releaser().releasedBackground();
            return idle + (long) (released * Scavenger.INITIAL_NANOS_PER_BYTE);
        }

        @Override
        public long wallTimeNanos() {
            return nanoTime();
        }

        synchronized void sleep(final long nanos) {
            idle += nanos;
        }
    }

    private final WorkClock clock = new WorkClock();
    private PageHeapEngine engine;

    private Scavenger heap(final double maxFraction) {
        engine = new PageHeapEngine(new PageHeapConfig(OsMemory.simulated(), 8192, 64 * MIB, 8L << 30, false,
                "pace", HugePagePolicy.SYSTEM, Long.MAX_VALUE, false, false));
        clock.engine = engine;
        return new Scavenger(engine, clock, true, false, Long.MAX_VALUE, maxFraction);
    }

    @AfterEach
    void close() {
        if (engine != null && engine.stop()) {
            engine.unmap();
        }
    }

    private List<Long> allocate(final long bytes) {
        final List<Long> runs = new ArrayList<>();
        for (long b = 0; b < bytes; b += RUN) {
            runs.add(engine.allocateRun(RUN_PAGES, false));
        }
        return runs;
    }

    private void free(final List<Long> runs, final long bytes) {
        for (long b = 0; b < bytes; b += RUN) {
            engine.freeRun(runs.removeLast());
        }
    }

    /** The process's loop with its default budget and window, serving {@code heap} alone. */
    private BackgroundScavenger loopServing(final Scavenger heap) {
        final BackgroundScavenger loop = new BackgroundScavenger(clock, BackgroundScavenger.DEFAULT_FRACTION,
                BackgroundScavenger.DEFAULT_WINDOW);
        loop.register(heap);
        return loop;
    }

    /**
     * Another heap of the process, always busy, works until the saved credit (300 ms of work) is spent, as a first
     * drop after a quiet spell would; then it leaves.
     */
    private void spendTheCredit(final BackgroundScavenger loop) {
        final BackgroundScavenger.Target busy = () -> {
            clock.sleep(100_000); // 100 µs of work per step
            return 64 << 10;
        };
        loop.register(busy);
        while (loop.runOnce() == 0) {
            assertTrue(clock.nanoTime() < 10 * SECOND, "a burst outlasts its credit");
        }
        loop.unregister(busy);
    }

    /** Runs the loop until the heap's retained memory meets its goal or {@code limit} passes; returns the time. */
    private long untilGoalMet(final BackgroundScavenger loop, final Scavenger heap, final long limit) {
        final long start = clock.nanoTime();
        while (clock.nanoTime() - start < limit) {
            final var s = heap.stats();
            if (s.retainedBytes() <= s.goalBytes()) {
                return clock.nanoTime() - start;
            }
            clock.sleep(Math.max(1, loop.runOnce()));
        }
        return Long.MAX_VALUE;
    }

    @Test
    void shouldReturnALargeDropWithinTwoSecondsOnceTheCreditIsSpent() {
        final Scavenger heap = heap(0.25);
        final BackgroundScavenger loop = loopServing(heap);
        final List<Long> runs = allocate(576 * MIB);
        spendTheCredit(loop);
        // The drop: 512 MiB freed, 64 MiB live, so retained is eight times its goal.
        final long workBefore = heap.stats().workNanos();
        free(runs, 512 * MIB);
        final long credit = loop.credit(clock.nanoTime());
        assertTrue(credit < 50 * MS, () -> "the credit is spent: " + credit / MS + " ms left");
        final long took = untilGoalMet(loop, heap, 60 * SECOND);
        final long work = heap.stats().workNanos() - workBefore;
        // The old fixed pace, from its constants: the credit in the bucket at once, then 1% of one core; so the
        // work needs at least (work - credit) / 1% of time.
        final long oldPace = (long) ((work - credit) / BackgroundScavenger.DEFAULT_FRACTION);
        // All but the goal's 10% of the 64 MiB live went back, each byte at its cost.
        assertTrue(work >= 500 * MIB * Scavenger.INITIAL_NANOS_PER_BYTE, () -> "work " + work / MS + " ms");
        assertTrue(oldPace > 10 * SECOND, () -> "the old pace needs " + oldPace / MS + " ms");
        assertTrue(took <= 2 * SECOND, () -> "512 MiB went back in " + took / MS + " ms (" + work / MS
                + " ms of work); at 1% it takes " + oldPace / MS + " ms");
        assertEquals(BackgroundScavenger.DEFAULT_FRACTION, heap.budget(BackgroundScavenger.DEFAULT_FRACTION),
                "done: back to the base");
        System.out.printf("release pace: 512 MiB drop returned in %d ms of simulated time (%d ms of work); "
                + "the old 1%% pace needs %d ms%n", took / MS, work / MS, oldPace / MS);
        engine.checkInvariants();
    }

    @Test
    void shouldRaiseThePaceWithinAnIdlePollEvenWhileTheLoopOwesWork() {
        final Scavenger heap = heap(0.25);
        final BackgroundScavenger loop = loopServing(heap);
        final List<Long> runs = allocate(576 * MIB);
        spendTheCredit(loop);
        // A neighbour's step that overran by 50 ms: 5 s of waiting at 1%.
        final BackgroundScavenger.Target overrun = () -> {
            clock.sleep(50 * MS);
            return 64 << 10;
        };
        loop.register(overrun);
        clock.sleep(loop.runOnce());
        loop.runOnce();
        loop.unregister(overrun);
        assertTrue(loop.credit(clock.nanoTime()) < -40 * MS, "the loop owes work");
        free(runs, 512 * MIB);
        final long took = untilGoalMet(loop, heap, 60 * SECOND);
        assertTrue(took <= 2500 * MS, () -> "512 MiB went back in " + took / MS + " ms with 50 ms owed");
    }

    @Test
    void shouldKeepTheBasePaceForAHeapNearItsGoal() {
        final Scavenger heap = heap(0.25);
        final BackgroundScavenger loop = loopServing(heap);
        final List<Long> runs = allocate(1024 * MIB);
        // Retained 1 GiB for 600 MiB live: 1.55 times the goal (live plus 10%), near it.
        free(runs, 424 * MIB);
        double highest = 0;
        final long start = clock.nanoTime();
        while (clock.nanoTime() - start < 3 * SECOND) {
            highest = Math.max(highest, heap.budget(BackgroundScavenger.DEFAULT_FRACTION));
            clock.sleep(Math.max(1, loop.runOnce()));
        }
        assertEquals(BackgroundScavenger.DEFAULT_FRACTION, highest, "a heap near its goal never asks for more");
        assertEquals(BackgroundScavenger.DEFAULT_FRACTION, loop.fraction());
        assertTrue(heap.stats().releasedBackgroundBytes() > 0, "it still releases, from the credit and at 1%");
    }

    @Test
    void shouldKeepTheBasePaceWhenTheCapIsTheBase() {
        final Scavenger heap = heap(BackgroundScavenger.DEFAULT_FRACTION);
        final BackgroundScavenger loop = loopServing(heap);
        final List<Long> runs = allocate(1024 * MIB);
        free(runs, 960 * MIB);
        final long start = clock.nanoTime();
        while (clock.nanoTime() - start < 2 * SECOND) {
            clock.sleep(Math.max(1, loop.runOnce()));
            assertEquals(BackgroundScavenger.DEFAULT_FRACTION, loop.fraction(), "capped at the base");
        }
    }
}
