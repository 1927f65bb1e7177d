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
 * reached the memory limit, and heap growth. Each is committed only when a recording has it enabled; creating
 * one happens on slow paths only (growth, a finished cycle, the limit), never on the allocation fast path.
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
