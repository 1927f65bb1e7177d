package dev.pagoda.alloc.scavenge;

/**
 * Paces the background scavenger to a fraction of one CPU by measuring its own work: a token bucket in
 * nanoseconds of work. Credit accrues at the current fraction of elapsed time, up to {@code base * window}, and
 * every stretch of work is charged at what it measured. While the fraction stays at its base, the work done over
 * any interval of length {@code T} is thus at most {@code base * (T + window)}: the long-run cost is the base (1%
 * of one core by default), and a heap that frees a lot after a quiet spell has its memory returned at once, from
 * credit saved while there was nothing to do, instead of trickling back over many seconds.
 *
 * <p>The fraction follows the excess: it is the base while every heap is near its goal, and rises, up to a
 * heap's own cap, while one that was found {@linkplain #far far above it} releases its excess ({@link #budget}),
 * so that a drop of gigabytes goes back within a couple of seconds instead of at the base's pace of tens of MiB
 * per second. Only the base's share is saved, and saved credit is spent first: what accrues above the base
 * pays off an overrun, then may be spent at most {@value #EXTRA_CAP} ns at a time, as it accrues, and is never
 * put by. So a spell at a raised pace leaves
 * the saved credit no fuller than the base alone would have, and over any interval of length {@code T} the work is
 * at most the fractions in force integrated over {@code T}, plus {@code base * window}, plus one slice of extra.
 *
 * <p>Go paces with a PI controller on the ratio of sleep to work, because its timer oversleeps; measuring the
 * real elapsed time, as the bucket does, absorbs oversleeping the same way with nothing to tune. Not
 * thread-safe: one scavenger thread owns it.
 */
final class Pacer {
    /**
     * How far above its goal a heap must be before its budget may rise: retained memory more than this many times
     * its goal. Below, the pace is the base's, so a heap that churns near its goal costs what it always did.
     */
    static final int FAR_FACTOR = 2;
    /** The time in which a far heap's budget aims to return its whole excess: half a second. */
    static final long DRAIN_NANOS = 500_000_000L;

    /** The most credit above the base's that may stand ready: one work slice ({@link BackgroundScavenger#WORK_SLICE}). */
    static final long EXTRA_CAP = 1_000_000L;

    private final double base;
    private final double maxCredit;
    private double fraction;
    /** Credit saved at the base's share, in nanoseconds of work; negative after an overrun. */
    private double credit;
    /** Credit accrued above the base's share and not yet spent, at most {@link #EXTRA_CAP}. */
    private double extra;
    private long last;

    /**
     * @param base   the share of one CPU to spend while no heap is far above its goal, in (0, 1]
     * @param window how much saved credit may be spent at once, as elapsed nanoseconds of accrual at the base
     * @param now    the clock reading to start from; the bucket starts full
     */
    Pacer(final double base, final long window, final long now) {
        checkFraction(base);
        this.base = base;
        this.fraction = base;
        this.maxCredit = Math.max(1, base * window);
        this.credit = maxCredit;
        this.last = now;
    }

    private static void checkFraction(final double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("scavenger CPU fraction must be in (0, 1]: fraction=" + fraction);
        }
    }

    /**
     * Whether {@code current} bytes are far above their {@code goal}: more than {@link #FAR_FACTOR} times it. Only a
     * heap found far above its goal may raise the pace; near it (a heap that churns, or one nearly done) the pace
     * is the base's.
     *
     * @param current the bytes the goal limits now (retained, or Ready against a soft target)
     * @param goal    the goal for them, non-negative
     * @return whether the pace may rise
     */
    static boolean far(final long current, final long goal) {
        return (double) current > (double) FAR_FACTOR * goal;
    }

    /**
     * The share of one core that releases {@code excess} bytes within {@link #DRAIN_NANOS} at the measured cost of a
     * release, at least {@code base} and at most {@code max}: the pace of a heap draining a large excess. A cap at
     * or below the base gives the base; no excess gives the base.
     *
     * @param base         the process's budget, in (0, 1]
     * @param max          the heap's cap, in (0, 1]
     * @param excess       the bytes to release, as found when the heap was far above its goal
     * @param nanosPerByte what releasing a byte costs, measured
     * @return the fraction, in [base, max(base, max)]
     */
    static double budget(final double base, final double max, final long excess, final double nanosPerByte) {
        if (max <= base || excess <= 0) {
            return base;
        }
        final double needed = excess * nanosPerByte / DRAIN_NANOS;
        return Math.min(max, Math.max(base, needed));
    }

    /** The base share of one CPU. */
    double base() {
        return base;
    }

    /** The share of one CPU in force now. */
    double fraction() {
        return fraction;
    }

    /**
     * Changes the share of one CPU from {@code now} on, never below the base: credit up to {@code now} accrues at
     * the old one.
     *
     * @throws IllegalArgumentException if {@code newFraction} is not in (0, 1]
     */
    void fraction(final double newFraction, final long now) {
        checkFraction(newFraction);
        refill(now);
        this.fraction = Math.max(base, newFraction);
    }

    /**
     * How long to wait from {@code now} until {@code wanted} nanoseconds of work are allowed; 0 if they are. Above
     * the base the wait may end early when the saved credit reaches its cap first; the next call asks for the rest.
     */
    long nanosUntil(final long wanted, final long now) {
        refill(now);
        final double allowed = fraction > base ? Math.min(wanted, maxCredit + EXTRA_CAP) : Math.min(wanted, maxCredit);
        final double missing = allowed - credit - extra;
        return missing <= 0 ? 0 : (long) Math.ceil(missing / fraction);
    }

    /**
     * Charges {@code work} nanoseconds of work, measured up to {@code now}: the savings first, as a burst after a
     * quiet spell spends them; then the extra; what is left is an overrun, owed by the savings.
     */
    void charge(final long work, final long now) {
        accrue(now); // the extra accrued while working is spendable on that work: capped only after the charge
        final double fromSavings = Math.min(Math.max(credit, 0), work);
        final double fromExtra = Math.min(extra, work - fromSavings);
        extra = Math.min(EXTRA_CAP, extra - fromExtra);
        credit -= work - fromExtra;
    }

    /** The credit saved at the base's share left at {@code now}, in nanoseconds of work; negative after an overrun. */
    long credit(final long now) {
        refill(now);
        return (long) credit;
    }

    private void refill(final long now) {
        accrue(now);
        extra = Math.min(EXTRA_CAP, extra);
    }

    /** Adds what accrued up to {@code now}: the base's share to the savings, the rest to an overrun, then the extra. */
    private void accrue(final long now) {
        final long elapsed = now - last;
        if (elapsed > 0) {
            credit = Math.min(maxCredit, credit + elapsed * base);
            double above = elapsed * (fraction - base);
            if (above > 0 && credit < 0) {
                final double repaid = Math.min(above, -credit);
                credit += repaid;
                above -= repaid;
            }
            extra += above;
            last = now;
        }
    }
}
