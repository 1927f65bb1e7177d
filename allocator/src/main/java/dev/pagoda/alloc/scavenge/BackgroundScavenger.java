package dev.pagoda.alloc.scavenge;

import dev.pagoda.os.Clock;

import java.lang.ref.WeakReference;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * The background scavenger: one daemon thread, {@code pagoda-scavenger}, shared by every heap of the process,
 * like Go's {@code bgscavenge}. One thread, not one per heap, because its budget is a share of the machine
 * (1% of one core by default) whatever the number of heaps, and a program that makes a thousand small heaps
 * should not get a thousand threads. Each heap's {@link Scavenger} decides what it would release and how far
 * it is from its goal; this loop only takes turns between them and paces the total with a {@link Pacer}.
 *
 * <p>The budget is a property of the process, set with {@code -Dpagoda.scavenger.cpuPercent=N} (percent of one
 * core, default 1) before the first heap is built: a program that frees gigabytes at a time and wants them back
 * within seconds raises it (a {@code MADV_DONTNEED} costs about 0.2-0.4 ms of kernel time per MiB here, so 1% of
 * a core returns a sustained ~30 MiB per second, plus the 300 ms of credit saved while idle).
 *
 * <p>The pace follows the excess: each round begins at the largest share of one core a heap asks for
 * ({@link Target#budget}), which is the process's budget unless a heap's retained memory is more than twice its goal;
 * such a heap asks for what would return its excess within half a second, up to its own cap
 * ({@code scavengerMaxCpuPercent}, 25% of one core by default). Work still comes in steps of at most a huge page,
 * each taking the heap lock only around its bookkeeping, never across the {@code madvise}, so a faster pace costs
 * the allocating threads no more than before: more of the scavenger thread's own time.
 *
 * <p>A round gives every heap one step at a time, round-robin, for about a millisecond of measured work (a
 * step is one release of at most a huge page, or one collapse), then charges the work to the pacer. When no
 * heap has anything to do, the thread parks for {@value #IDLE_POLL_MS} ms and looks again: it sleeps, never
 * spins, and a heap whose goal changes ({@code memoryTarget}) wakes it at once. Heaps are held weakly, so an
 * unreachable heap that was never closed does not stay registered. The loop body is {@link #runOnce()}, which
 * tests drive with a fake clock.
 */
public final class BackgroundScavenger {
    /** One scavenging step of a heap. */
    interface Target {
        /**
         * Does one step of work.
         *
         * @return bytes released or collapsed, 0 if the heap has nothing to do now
         */
        long step();

        /**
         * The share of one core this heap asks for now, from how far it is above its goal
         * ({@link Pacer#budget}); the loop paces at the largest share its heaps ask for.
         *
         * @param base the process's budget
         * @return at least {@code base}
         */
        default double budget(final double base) {
            return base;
        }
    }

    static final long IDLE_POLL_MS = 100;
    private static final long IDLE_POLL = IDLE_POLL_MS * 1_000_000L;
    /** Work done per round before charging the pacer and checking the clock: Go's {@code minScavWorkTime}. */
    static final long WORK_SLICE = 1_000_000L;
    /** Default share of one CPU (Go's {@code scavengePercent}). */
    static final double DEFAULT_FRACTION = 0.01;
    /**
     * How much idle time's credit may be spent in one burst: 30 s, so 300 ms of work at 1% — enough to
     * release a few GiB at once after a quiet spell (a {@code MADV_DONTNEED} of 256 MiB takes 12-22 ms here).
     */
    static final long DEFAULT_WINDOW = 30_000_000_000L;

    private static final System.Logger LOG = System.getLogger(BackgroundScavenger.class.getName());

    private final Clock clock;
    private final Pacer pacer;
    private final List<WeakReference<Target>> targets = new CopyOnWriteArrayList<>();
    private volatile Thread thread;
    /** Heaps whose failure was logged as a warning already; touched by the scavenger thread only. */
    private final java.util.Map<Target, Boolean> warned = new java.util.WeakHashMap<>();

    BackgroundScavenger(final Clock clock, final double fraction, final long window) {
        this.clock = clock;
        this.pacer = new Pacer(fraction, window, clock.nanoTime());
    }

    /** The process-wide scavenger, its thread started on first use. */
    public static BackgroundScavenger shared() {
        return Shared.INSTANCE;
    }

    private static final class Shared {
        static final BackgroundScavenger INSTANCE = new BackgroundScavenger(Clock.system(),
                fraction(System.getProperty(CPU_PERCENT_PROPERTY)), DEFAULT_WINDOW).start();
    }

    /** The system property that sets the budget, in percent of one core: {@value}. */
    static final String CPU_PERCENT_PROPERTY = "pagoda.scavenger.cpuPercent";

    /** The budget as a fraction of one core from the property's value (percent), or the default if unset. */
    static double fraction(final String percent) {
        if (percent == null) {
            return DEFAULT_FRACTION;
        }
        final double p;
        try {
            p = Double.parseDouble(percent.trim());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(CPU_PERCENT_PROPERTY + " must be a number of percent in (0, 100]: "
                    + CPU_PERCENT_PROPERTY + "=" + percent, e);
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException(CPU_PERCENT_PROPERTY + " must be in (0, 100]: "
                    + CPU_PERCENT_PROPERTY + "=" + percent);
        }
        return p / 100;
    }

    private BackgroundScavenger start() {
        final Thread t = Thread.ofPlatform().daemon().name("pagoda-scavenger").unstarted(this::loop);
        t.setPriority(Thread.MIN_PRIORITY);
        thread = t;
        t.start();
        return this;
    }

    /** Serves {@code target} from now on, until {@link #unregister} or until it becomes unreachable. */
    public void register(final Target target) {
        targets.add(new WeakReference<>(target));
        wake();
    }

    /** Stops serving {@code target}. */
    public void unregister(final Target target) {
        targets.removeIf(r -> {
            final Target t = r.get();
            return t == null || t == target;
        });
    }

    /** Makes the thread look at its heaps now (a goal changed). */
    void wake() {
        final Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Whether any heap is registered. */
    boolean hasTargets() {
        return !targets.isEmpty();
    }

    private void loop() {
        while (true) {
            final long wait = runOnce();
            if (!hasTargets()) {
                LockSupport.park(this);
            } else if (wait > 0) {
                LockSupport.parkNanos(this, wait);
            }
        }
    }

    /**
     * The largest share of one core a heap asks for, at least the process's budget. A heap that fails to answer
     * asks for the budget; its failure is logged as a failed step is.
     */
    private double budget() {
        final double base = pacer.base();
        double wanted = base;
        for (final WeakReference<Target> ref : targets) {
            final Target t = ref.get();
            if (t != null) {
                try {
                    final double asked = t.budget(base);
                    if (asked > wanted) {
                        wanted = Math.min(1, asked);
                    }
                } catch (final RuntimeException | Error e) {
                    failed(t, e);
                }
            }
        }
        return wanted;
    }

    /** Logs a heap's failure: a warning the first time, DEBUG after; rethrows the JVM's own errors. */
    private void failed(final Target t, final Throwable e) {
        if (e instanceof VirtualMachineError v) {
            throw v;
        }
        LOG.log(warned.put(t, Boolean.TRUE) == null ? System.Logger.Level.WARNING
                : System.Logger.Level.DEBUG, "pagoda scavenger: a heap's step failed; its memory "
                + "stays consistent and the scavenger goes on", e);
    }

    /** The share of one core in force since the last round began. */
    double fraction() {
        return pacer.fraction();
    }

    /** The pacer's credit at {@code now}, in nanoseconds of work (for tests: the loop owns the pacer). */
    long credit(final long now) {
        return pacer.credit(now);
    }

    /**
     * One round: waits for credit if there is none, else steps the heaps in turn for about
     * {@value #WORK_SLICE} ns of work and charges it.
     *
     * @return how long to sleep before the next round, 0 to go on at once
     */
    long runOnce() {
        final long asked = clock.nanoTime();
        final double fraction = budget();
        final long start = clock.nanoTime();
        pacer.fraction(fraction, asked);
        pacer.charge(start - asked, start); // asking is work too: a heap may start a generation when asked
        final long wait = pacer.nanosUntil(WORK_SLICE, start);
        if (wait > 0) {
            // At most an idle poll: the heaps' budgets are asked again then, so one that a drop has left far above
            // its goal raises the pace within 100 ms even while the loop owes work.
            return Math.min(wait, IDLE_POLL);
        }
        boolean worked;
        long now = start;
        java.util.Set<Target> failed = null;
        do {
            worked = false;
            for (final WeakReference<Target> ref : targets) {
                final Target t = ref.get();
                if (t == null) {
                    targets.remove(ref);
                    continue;
                }
                if (failed != null && failed.contains(t)) {
                    continue; // a heap whose step failed sits out the rest of the round
                }
                try {
                    worked |= t.step() > 0;
                } catch (final RuntimeException | Error e) {
                    failed(t, e); // warn once per heap; later failures of the same heap are logged at DEBUG only
                    failed = failed == null ? new java.util.HashSet<>() : failed;
                    failed.add(t);
                }
                now = clock.nanoTime();
            }
        } while (worked && now - start < WORK_SLICE);
        pacer.charge(now - start, now);
        return worked ? 0 : IDLE_POLL;
    }
}
