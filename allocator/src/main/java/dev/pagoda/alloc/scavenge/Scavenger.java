package dev.pagoda.alloc.scavenge;

import dev.pagoda.alloc.HugePagePolicy;
import dev.pagoda.alloc.ScavengerStats;
import dev.pagoda.alloc.events.HeapEvents;
import dev.pagoda.alloc.pagealloc.PageAlloc;
import dev.pagoda.alloc.pagealloc.ScavengeIndex;
import dev.pagoda.alloc.pageheap.Arenas;
import dev.pagoda.alloc.pageheap.Locks;
import dev.pagoda.alloc.pageheap.PageHeapEngine;
import dev.pagoda.alloc.pageheap.Releaser;
import dev.pagoda.os.Clock;
import dev.pagoda.os.OsMemory;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One heap's side of the background scavenger (Go's {@code mgcscavenge.go}): its goals, its place in the
 * address space, its generations, its cycles and its counters. The {@link BackgroundScavenger} thread calls
 * {@link #step} in turn with other heaps; a step releases at most one block (a huge page) with no lock held.
 *
 * <p><b>Lock.</b> This object's monitor ({@link #step}, {@link #budget}, {@link #close}) comes first in the heap's
 * lock order, written down in {@code PageCaches}: under it a step takes the heap lock, the close gate and the OS
 * layer's monitor, and runs the generation hook (which may free empty spans); it is never taken while any of them is
 * held. {@code PageHeap.stop()} takes it with none held.
 *
 * <p><b>Goals.</b> Two, as in Go: retained memory (allocated plus free resident pages) at most live pages plus
 * 10% ({@code retainExtraPercent}), and, when the user set a soft memory target, Ready bytes at most 95% of it
 * ({@code reduceExtraPercent}). The scavenger works while either is unmet by at least a page. Go bases the first
 * goal on the heap in use at the last GC, not at this instant; likewise the live pages here are the most seen
 * in this generation or the last one, so a program that churns (frees and allocates again at once) does not
 * have its free pages released only to fault them back in, while one that frees for good sees them go within
 * two generations.
 *
 * <p><b>Generations.</b> Every {@value #GENERATION_MS} ms the scavenger starts a new generation: chunks dense in
 * the last two are hidden from it ({@link ScavengeIndex}), and its search cursor goes back to the top of the
 * heap. Within a generation it walks down from the cursor, so each page is considered once; when nothing below
 * the cursor qualifies, it rests until the next generation.
 */
public final class Scavenger implements BackgroundScavenger.Target {
    /** The length of a generation in milliseconds. */
    public static final long GENERATION_MS = 250;
    private static final long GENERATION = GENERATION_MS * 1_000_000L;
    private static final int RETAIN_EXTRA_PERCENT = 10;
    private static final int REDUCE_EXTRA_PERCENT = 5;
    /**
     * The cost of a release before any was measured: 0.3 ms of work per MiB, what {@code MADV_DONTNEED} of
     * resident memory costs on the machines measured (0.2-0.4 ms).
     */
    static final double INITIAL_NANOS_PER_BYTE = 300_000.0 / (1 << 20);

    private final String name;
    private final ReentrantLock lock;
    private final PageAlloc pages;
    private final Arenas arenas;
    private final Releaser releaser;
    private final OsMemory os;
    private final int pageShift;
    private final Clock clock;
    private final boolean background;
    private final boolean collapse;
    private final boolean trace;
    private volatile long memoryTarget;
    /** The most of one core the background scavenger may spend on this heap when it is far above its goal. */
    private final double maxFraction;
    /**
     * The excess found when this heap was last seen far above its goal ({@link Pacer#far}), the largest such while
     * it releases; 0 once it meets its goal or closes (both on the live pages of the moment of the look). While it is not 0 and the heap is not resting (nothing left
     * below its cursor that it may release this generation), the heap asks for a faster pace ({@link #budget}): the
     * whole excess, not just the part above twice the goal, goes back at that pace, across generations. Guarded by
     * this object's monitor.
     */
    private long drainExcess;
    /**
     * What a release costs, nanoseconds of measured work per byte: the decaying sums of work and bytes over the
     * steps that released ({@link #costWork}, {@link #costBytes}), divided. Guarded by this object's monitor.
     */
    private double nanosPerByte = INITIAL_NANOS_PER_BYTE;
    /** Decaying sums of measured work and released bytes; guarded by this object's monitor. */
    private double costWork = INITIAL_NANOS_PER_BYTE * (1 << 20);
    private double costBytes = 1 << 20;
    /** Run at the start of every generation, before the goal is read: the Heap frees its empty spans. */
    private volatile Runnable generationHook = () -> { };

    // Owned by the thread calling step(), guarded by this object's monitor.
    private long cursor = Long.MAX_VALUE;
    private long generationStart;
    private boolean resting;
    private boolean inCycle;
    private long cycleReleased;
    private long cycleWork;
    private boolean closed;
    /** The most live pages seen by a step in this generation and in the last one. */
    private long peakLive;
    private long lastPeakLive;

    private final LongAdder workNanos = new LongAdder();
    private final AtomicLong cycles = new AtomicLong();
    private final LongAdder collapsed = new LongAdder();
    private long tracedOnDemand;

    /**
     * A scavenger for the heap of {@code engine}.
     *
     * @param engine       the page heap it releases from
     * @param clock        the monotonic clock that times generations and work
     * @param background   whether the background scavenger serves this heap
     * @param trace        whether each cycle prints a line ({@code scavtrace})
     * @param memoryTarget the soft target on Ready bytes, {@link Long#MAX_VALUE} for none
     * @param maxFraction  the most of one core the background scavenger may spend on this heap while it is far
     *                     above its goal, in (0, 1] ({@link Pacer#budget})
     * @throws IllegalArgumentException if {@code maxFraction} is not in (0, 1]
     */
    public Scavenger(final PageHeapEngine engine, final Clock clock, final boolean background, final boolean trace,
                     final long memoryTarget, final double maxFraction) {
        if (!(maxFraction > 0 && maxFraction <= 1)) {
            throw new IllegalArgumentException("scavenger's maximum CPU fraction must be in (0, 1]: maxFraction="
                    + maxFraction);
        }
        this.maxFraction = maxFraction;
        this.name = engine.name();
        this.lock = engine.lock();
        this.pages = engine.pageAlloc();
        this.arenas = engine.arenas();
        this.releaser = engine.releaser();
        this.os = engine.os();
        this.pageShift = engine.pageShift();
        this.clock = clock;
        this.background = background;
        this.trace = trace;
        this.collapse = engine.hugePages().inForce() == HugePagePolicy.COLLAPSE;
        this.memoryTarget = memoryTarget;
        this.generationStart = clock.nanoTime();
    }

    /** Sets what runs at the start of every generation. */
    public void onGeneration(final Runnable hook) {
        this.generationHook = hook;
    }

    /** Whether the background scavenger serves this heap. */
    public boolean background() {
        return background;
    }

    public long memoryTarget() {
        return memoryTarget;
    }

    public void memoryTarget(final long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memoryTarget must be positive (Long.MAX_VALUE for none): "
                    + "memoryTarget=" + bytes);
        }
        this.memoryTarget = bytes;
        if (background) {
            BackgroundScavenger.shared().wake();
        }
    }

    /** Steps until there is nothing left to do now; returns the bytes released or collapsed. */
    public long cycle() {
        long total = 0;
        for (long done; (done = step()) > 0; ) {
            total += done;
        }
        return total;
    }

    /** Retained bytes, the goal for them, Ready bytes and the goal for those, in one consistent read. */
    private record Goal(long retained, long live, long retainedGoal, long ready, long readyGoal) {
        long excess() {
            return Math.max(retained - retainedGoal, ready - readyGoal);
        }

        /** The same goal for a live-page basis of {@code basis} bytes (the generation's peak). */
        Goal withLive(final long basis, final int pageShift) {
            return basis == live ? this
                    : new Goal(retained, live, Scavenger.retainedGoal(basis, pageShift), ready, readyGoal);
        }
    }

    /** Live bytes plus 10%, rounded up to a page. */
    private static long retainedGoal(final long live, final int pageShift) {
        final long pageSize = 1L << pageShift;
        return (live + live / 100 * RETAIN_EXTRA_PERCENT + pageSize - 1) & -pageSize;
    }

    private Goal goal() {
        final long retained;
        final long live;
        lock.lock();
        try {
            retained = (pages.grownPages() - pages.releasedPages()) << pageShift;
            live = pages.allocatedPages() << pageShift;
        } finally {
            lock.unlock();
        }
        final long retainedGoal = retainedGoal(live, pageShift);
        final long target = memoryTarget;
        final long readyGoal = target == Long.MAX_VALUE ? Long.MAX_VALUE
                : target / 100 * (100 - REDUCE_EXTRA_PERCENT);
        return new Goal(retained, live, retainedGoal, os.stats().readyBytes(), readyGoal);
    }

    /**
     * Looks at the heap at {@code t0}: starts a new generation if one is due, reads the goal on the generation's
     * peak of live pages, and notes whether the heap is far above its goal ({@link #drainExcess}). Called with this
     * monitor held, by every step and by {@link #budget} while the loop waits.
     */
    private Goal observe(final long t0) {
        if (t0 - generationStart >= GENERATION) {
            generationStart = t0;
            Locks.locked(lock, pages.scavengeIndex::nextGeneration);
            cursor = Long.MAX_VALUE;
            resting = false;
            lastPeakLive = peakLive;
            peakLive = 0;
            generationHook.run();
        }
        final Goal now = goal();
        peakLive = Math.max(peakLive, now.live());
        // The pace looks at the live pages of this moment, not the generation's peak that the releases respect: a drop
        // is seen at once (the pace is up when the peak lets the releases start), and the pace stays up until the goal
        // of this moment is met, not when the peak's goal, about to fall, is.
        if (now.excess() < 1L << pageShift) {
            drainExcess = 0;
        } else if (Pacer.far(now.retained(), now.retainedGoal()) || Pacer.far(now.ready(), now.readyGoal())) {
            drainExcess = Math.max(drainExcess, now.excess());
        }
        return now.withLive(Math.max(peakLive, lastPeakLive), pageShift);
    }

    @Override
    public synchronized long step() {
        if (closed) {
            return 0;
        }
        final long t0 = clock.nanoTime();
        final Goal goal = observe(t0);
        final long excess = goal.excess();
        long done = 0;
        boolean released = false;
        if (excess >= 1L << pageShift && !resting) {
            inCycle = true;
            // Whole pages of excess, rounded down: the index passes over short holes only while the goal wants at
            // least 64 KiB, and an excess of 57 KiB rounded up to 64 KiB once left a free page the goal needed.
            final long maxPages = Math.min(releaser.blockPages(), excess >>> pageShift);
            long run = releaser.releaseOne(cursor, maxPages, false);
            if (run < 0 && cursor != Long.MAX_VALUE) {
                // Short holes passed over while the goal wanted more may be what it needs now: one more look
                // from the top before resting for the generation.
                cursor = Long.MAX_VALUE;
                run = releaser.releaseOne(cursor, maxPages, false);
            }
            if (run < 0) {
                resting = true;
            } else {
                cursor = ScavengeIndex.first(run);
                done = (long) ScavengeIndex.length(run) << pageShift;
                cycleReleased += done;
                released = true;
            }
        } else if (collapse) {
            done = collapseOne();
        }
        final long work = clock.nanoTime() - t0;
        if (done > 0 || inCycle) {
            workNanos.add(work); // a look that finds nothing to do is not counted as work
        }
        if (released && work > 0) {
            // Weighted by bytes, so that a few one-page releases (mostly system call overhead) do not make a
            // drop of gigabytes look dearer than it is.
            costWork = costWork * 7 / 8 + work;
            costBytes = costBytes * 7 / 8 + done;
            nanosPerByte = costWork / costBytes;
        }
        if (inCycle) {
            cycleWork += work;
            if (done == 0 || excess - done < 1L << pageShift) {
                endCycle(goal, done);
            }
        }
        return done;
    }

    /** Asks the kernel to collapse one densely used chunk into huge pages, off every lock. */
    private long collapseOne() {
        final long chunk;
        lock.lock();
        try {
            chunk = pages.scavengeIndex.nextCollapsible(pages);
        } finally {
            lock.unlock();
        }
        if (chunk < 0) {
            return 0;
        }
        final long bytes = (long) PageAlloc.CHUNK_PAGES << pageShift;
        os.hugePageCollapse(arenas.addressOf(chunk * PageAlloc.CHUNK_PAGES), bytes);
        collapsed.add(bytes);
        return bytes;
    }

    private void endCycle(final Goal before, final long lastRelease) {
        inCycle = false;
        if (cycleReleased == 0) {
            cycleWork = 0;
            return; // everything left was dense: not a cycle, nothing to report
        }
        cycles.incrementAndGet();
        final long retained = before.retained() - lastRelease;
        final boolean met = before.excess() - lastRelease < 1L << pageShift;
        HeapEvents.cycle(name, cycleReleased, cycleWork, retained, before.retainedGoal(), met);
        if (trace) {
            final long onDemand = releaser.releasedOnDemand();
            System.err.printf("pagoda scav %s: %d KiB work (bg), %d KiB work (eager), %d KiB now, %d%% util%s%n",
                    name, cycleReleased >> 10, (onDemand - tracedOnDemand) >> 10,
                    (pages.releasedPages() << pageShift) >> 10, retained == 0 ? 100 : before.live() * 100 / retained,
                    met ? "" : " (goal not met: the rest is densely used)");
            tracedOnDemand = onDemand;
        }
        cycleReleased = 0;
        cycleWork = 0;
    }

    /** Stops stepping; waits for a step in progress. Idempotent. */
    public synchronized void close() {
        closed = true;
        drainExcess = 0;
    }

    /**
     * The share of one core this heap asks of the background scavenger: the process's {@code base}, unless its
     * retained memory (or its Ready memory, against a soft target) was found more than twice its goal; then, until
     * the goal is met (and except while nothing more may be released this generation), what returns that excess
     * within half a second at the measured cost of a release, up to the heap's cap ({@link Pacer#budget}). The loop
     * asks at every round, also while it waits for credit, so a heap looks at itself (and its generations turn)
     * even then.
     */
    @Override
    public synchronized double budget(final double base) {
        if (closed) {
            return base;
        }
        observe(clock.nanoTime());
        return resting ? base : Pacer.budget(base, maxFraction, drainExcess, nanosPerByte);
    }

    /** The most of one core the background scavenger may spend on this heap. */
    public double maxFraction() {
        return maxFraction;
    }

    public ScavengerStats stats() {
        final Goal g = goal();
        return new ScavengerStats(releaser.releasedBackground(), releaser.releasedOnDemand(), workNanos.sum(),
                cycles.get(), collapsed.sum(), g.retained(), g.retainedGoal(), memoryTarget, background);
    }
}
