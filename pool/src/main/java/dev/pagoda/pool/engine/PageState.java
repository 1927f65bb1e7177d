package dev.pagoda.pool.engine;

/**
 * The descriptor of a page's 64-bit state word, after vmcache's: a lock state, a dirty bit and a version, packed so
 * that one compare-and-set takes or gives up a lock and one read tells an optimistic reader everything.
 *
 * <pre>
 *   63        56  55  54                                                   0
 *   ┌───────────┬────┬──────────────────────────────────────────────────────┐
 *   │   state   │ D  │                    version (55 bits)                 │
 *   └───────────┴────┴──────────────────────────────────────────────────────┘
 *   state  0        EVICTED     not resident; the page lives in the file only
 *          1        UNLOCKED    resident, nobody holds it
 *          2        MARKED      resident, unlocked, chosen by the clock: evicted next time unless used first
 *          3        EXCLUSIVE   one holder may read and write the frame
 *          4..255   SHARED(n)   n = state - 3 holders (1 to 252) may read the frame
 *   D      the frame holds changes the file does not have yet
 *   version  grows by one when an exclusive holder lets go and when the page is evicted
 * </pre>
 *
 * A page table fresh from the OS reads as zero, which is EVICTED at version 0: every page starts in the file.
 * An optimistic reader remembers the word, reads the frame, and is right if the version is the same and the state
 * is neither EXCLUSIVE nor EVICTED; shared holders, the clock's mark and the dirty bit do not disturb it. At one
 * exclusive fix per nanosecond a version lasts more than a year before it wraps, so a reader would have to sleep
 * that long between its two reads to be fooled.
 */
public final class PageState {
    /** Waits that spin before {@link #backoff} yields instead. */
    private static final int SPINS = 64;
    /** Not resident. */
    public static final int EVICTED = 0;
    /** Resident and free. */
    public static final int UNLOCKED = 1;
    /** Resident, free, and marked by the clock for eviction. */
    public static final int MARKED = 2;
    /** Held by one exclusive holder. */
    public static final int EXCLUSIVE = 3;
    /** The state of one shared holder; {@code SHARED_ONE + n - 1} is that of {@code n}. */
    public static final int SHARED_ONE = 4;
    /** The state of the most shared holders at once (252). */
    public static final int SHARED_MAX = 255;

    private static final int STATE_SHIFT = 56;
    /** The dirty bit. */
    public static final long DIRTY = 1L << 55;
    private static final long VERSION_MASK = DIRTY - 1;
    private static final long STATE_MASK = 0xFFL << STATE_SHIFT;

    private PageState() {
    }

    /**
     * The lock state of a word.
     *
     * @param word a state word
     * @return one of the constants above, or a shared state
     */
    public static int state(final long word) {
        return (int) (word >>> STATE_SHIFT);
    }

    /**
     * Whether the frame holds changes not yet written to the file.
     *
     * @param word a state word
     * @return the dirty bit
     */
    public static boolean dirty(final long word) {
        return (word & DIRTY) != 0;
    }

    /**
     * The version of a word.
     *
     * @param word a state word
     * @return the version, 55 bits
     */
    public static long version(final long word) {
        return word & VERSION_MASK;
    }

    /**
     * The same word with another lock state: version and dirty bit kept.
     *
     * @param word  a state word
     * @param state the new lock state
     * @return the new word
     */
    public static long with(final long word, final int state) {
        return (word & ~STATE_MASK) | ((long) state << STATE_SHIFT);
    }

    /**
     * The word an exclusive holder leaves: unlocked, next version, dirty bit kept.
     *
     * @param word the word while held exclusively
     * @return the new word
     */
    public static long released(final long word) {
        return with(nextVersion(word), UNLOCKED);
    }

    /**
     * The word of a page the clock has just evicted: EVICTED, next version, clean.
     *
     * @param word the word while the evictor held it exclusively
     * @return the new word
     */
    public static long evicted(final long word) {
        return with(nextVersion(word) & ~DIRTY, EVICTED);
    }

    /**
     * Whether an optimistic read that began at {@code before} and ended at {@code after} saw a stable page.
     *
     * @param before the word read before the frame
     * @param after  the word read after the frame
     * @return true if no exclusive holder or eviction came between, and none is under way
     */
    public static boolean stable(final long before, final long after) {
        final int s = state(after);
        return version(before) == version(after) && s != EXCLUSIVE && s != EVICTED;
    }

    /**
     * The number of shared holders.
     *
     * @param state a lock state
     * @return {@code n} for SHARED(n), 0 otherwise
     */
    public static int sharers(final int state) {
        return state >= SHARED_ONE ? state - SHARED_ONE + 1 : 0;
    }

    /**
     * A lock state for messages.
     *
     * @param word a state word
     * @return for example {@code "shared by 2, dirty, version 7"}
     */
    public static String describe(final long word) {
        final int s = state(word);
        final String what = switch (s) {
            case EVICTED -> "evicted";
            case UNLOCKED -> "unlocked";
            case MARKED -> "unlocked (marked for eviction)";
            case EXCLUSIVE -> "fixed exclusively";
            default -> "fixed shared by " + sharers(s);
        };
        return what + (dirty(word) ? ", dirty" : "") + ", version " + version(word);
    }

    /**
     * The exception for an unfix or {@code markDirty} without the fix it needs.
     *
     * @param call   the call, e.g. {@code "unfixShared"}
     * @param pid    the page id
     * @param word   the page's state word now
     * @param needed the hold the call needs, e.g. {@code "fixed shared"}
     * @return the exception to throw
     */
    static IllegalStateException notHeld(final String call, final long pid, final long word, final String needed) {
        return new IllegalStateException(call + "(" + pid + ") needs the page " + needed + " by the caller, but it is "
                + describe(word));
    }

    /**
     * Waits a little for a page another thread holds: spins first, then yields, as vmcache does (no queue of waiters).
     *
     * @param spin how many times the caller has waited for this page
     */
    static void backoff(final int spin) {
        if (spin < SPINS) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    private static long nextVersion(final long word) {
        return (word & ~VERSION_MASK) | ((word + 1) & VERSION_MASK);
    }
}
