package dev.pagoda.alloc.scavenge;

/**
 * Paces the background scavenger to a fraction of one CPU by measuring its own work: a token bucket in
 * nanoseconds of work. Credit accrues at {@code fraction} of elapsed time, up to {@code fraction * window}, and
 * every stretch of work is charged at what it measured. Over any interval of length {@code T} the work done is
 * thus at most {@code fraction * (T + window)}: the long-run cost is the fraction (1% of one core by default),
 * and a heap that frees a lot after a quiet spell has its memory returned at once, from credit saved while
 * there was nothing to do, instead of trickling back over many seconds.
 *
 * <p>Go paces with a PI controller on the ratio of sleep to work, because its timer oversleeps; measuring the
 * real elapsed time, as the bucket does, absorbs oversleeping the same way with nothing to tune. Not
 * thread-safe: one scavenger thread owns it.
 */
final class Pacer {
    private final double fraction;
    private final double maxCredit;
    private double credit;
    private long last;

    /**
     * @param fraction the share of one CPU to spend, in (0, 1]
     * @param window   how much saved credit may be spent at once, as elapsed nanoseconds of accrual
     * @param now      the clock reading to start from; the bucket starts full
     */
    Pacer(final double fraction, final long window, final long now) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("scavenger CPU fraction must be in (0, 1]: fraction=" + fraction);
        }
        this.fraction = fraction;
        this.maxCredit = Math.max(1, fraction * window);
        this.credit = maxCredit;
        this.last = now;
    }

    /** How long to wait from {@code now} until {@code wanted} nanoseconds of work are allowed; 0 if they are. */
    long nanosUntil(final long wanted, final long now) {
        refill(now);
        final double missing = Math.min(wanted, maxCredit) - credit;
        return missing <= 0 ? 0 : (long) Math.ceil(missing / fraction);
    }

    /** Charges {@code work} nanoseconds of work, measured up to {@code now}. */
    void charge(final long work, final long now) {
        refill(now);
        credit -= work;
    }

    /** The credit left at {@code now}, in nanoseconds of work; negative after an overrun. */
    long credit(final long now) {
        refill(now);
        return (long) credit;
    }

    private void refill(final long now) {
        final long elapsed = now - last;
        if (elapsed > 0) {
            credit = Math.min(maxCredit, credit + elapsed * fraction);
            last = now;
        }
    }
}
