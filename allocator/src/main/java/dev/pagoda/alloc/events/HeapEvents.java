package dev.pagoda.alloc.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

/**
 * The heap's JDK Flight Recorder events, all in the category "Pagoda": a scavenger cycle, an allocation that
 * reached the memory limit, a round of reclaimers at the limit, and heap growth. Each is committed only when a
 * recording has it enabled; creating one happens on slow paths only (growth, a finished cycle, the limit), never on
 * the allocation fast path.
 */
public final class HeapEvents {
    private HeapEvents() {
    }

    /** One background scavenger cycle, from the moment retained memory exceeded its goal until it met it. */
    @Name("dev.pagoda.ScavengerCycle")
    @Label("Pagoda Scavenger Cycle")
    @Category("Pagoda")
    @Description("The background scavenger returned free pages to the OS until the heap met its goal")
    static final class ScavengerCycle extends Event {
        @Label("Heap")
        String heap;
        @Label("Released")
        @DataAmount
        long releasedBytes;
        @Label("Work Time")
        @Timespan
        long workNanos;
        @Label("Retained After")
        @DataAmount
        long retainedBytes;
        @Label("Goal")
        @DataAmount
        long goalBytes;
        @Label("Goal Met")
        boolean goalMet;
    }

    /** An allocation that needed more Ready memory than the hard limit allowed. */
    @Name("dev.pagoda.MemoryLimitReached")
    @Label("Pagoda Memory Limit Reached")
    @Category("Pagoda")
    @Description("An allocation met the heap's hard limit on Ready bytes: free pages were released, and the "
            + "allocation failed if that was not enough")
    static final class LimitReached extends Event {
        @Label("Heap")
        String heap;
        @Label("Requested")
        @DataAmount
        long requestedBytes;
        @Label("Limit")
        @DataAmount
        long limitBytes;
        @Label("Ready")
        @DataAmount
        long readyBytes;
        @Label("Released")
        @DataAmount
        long releasedBytes;
        @Label("Failed")
        boolean failed;
    }

    /** A round of reclaimers asked to free memory for an allocation at the memory limit; its duration is the round's. */
    @Name("dev.pagoda.MemoryReclaim")
    @Label("Pagoda Memory Reclaim")
    @Category("Pagoda")
    @Description("An allocation met the heap's hard limit with too few free pages: the heap's reclaimers were asked "
            + "to free the bytes it lacked")
    static final class ReclaimRound extends Event {
        @Label("Heap")
        String heap;
        @Label("Wanted")
        @DataAmount
        long wantedBytes;
        @Label("Reclaimed")
        @DataAmount
        long reclaimedBytes;
        @Label("Reclaimers Called")
        int reclaimersCalled;
        @Label("Reclaimer Failures")
        int failures;
    }

    /** The heap mapped new chunks, reserving a new arena first if needed. */
    @Name("dev.pagoda.HeapGrowth")
    @Label("Pagoda Heap Growth")
    @Category("Pagoda")
    @Description("The heap mapped new chunks of address space (Reserved to Prepared)")
    static final class Growth extends Event {
        @Label("Heap")
        String heap;
        @Label("Mapped")
        @DataAmount
        long mappedBytes;
        @Label("New Arena")
        boolean newArena;
    }

    public static void limitReached(final String heap, final long requested, final long limit, final long ready,
                             final long released, final boolean failed) {
        final LimitReached e = new LimitReached();
        if (e.isEnabled()) {
            e.heap = heap;
            e.requestedBytes = requested;
            e.limitBytes = limit;
            e.readyBytes = ready;
            e.releasedBytes = released;
            e.failed = failed;
            e.commit();
        }
    }

    /**
     * Starts timing a round of reclaimers.
     *
     * @return the event to pass to {@link #reclaimEnded}
     */
    public static Event reclaimStarted() {
        final ReclaimRound e = new ReclaimRound();
        e.begin();
        return e;
    }

    /**
     * Ends and commits (if enabled) a round of reclaimers begun by {@link #reclaimStarted()}.
     *
     * @param started   the event from {@link #reclaimStarted()}
     * @param heap      the heap's name
     * @param wanted    the bytes asked for
     * @param reclaimed the bytes the reclaimers reported
     * @param called    how many reclaimers were called
     * @param failures  how many of them threw or returned a negative count
     */
    public static void reclaimEnded(final Event started, final String heap, final long wanted, final long reclaimed,
                                    final int called, final int failures) {
        if (started instanceof ReclaimRound e && e.isEnabled()) {
            e.end();
            e.heap = heap;
            e.wantedBytes = wanted;
            e.reclaimedBytes = reclaimed;
            e.reclaimersCalled = called;
            e.failures = failures;
            e.commit();
        }
    }

    public static void growth(final String heap, final long mapped, final boolean newArena) {
        final Growth e = new Growth();
        if (e.isEnabled()) {
            e.heap = heap;
            e.mappedBytes = mapped;
            e.newArena = newArena;
            e.commit();
        }
    }

    public static void cycle(final String heap, final long released, final long workNanos, final long retained,
                      final long goal, final boolean met) {
        final ScavengerCycle e = new ScavengerCycle();
        if (e.isEnabled()) {
            e.heap = heap;
            e.releasedBytes = released;
            e.workNanos = workNanos;
            e.retainedBytes = retained;
            e.goalBytes = goal;
            e.goalMet = met;
            e.commit();
        }
    }
}
