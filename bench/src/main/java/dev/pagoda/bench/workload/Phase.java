package dev.pagoda.bench.workload;

import java.util.Locale;

/** What a workload is doing when a {@link Sample} is taken. */
public enum Phase {
    /** Before the first allocation: the JVM's own resident set. */
    START,
    /** Allocating and writing blocks up to the working set. */
    ALLOCATE,
    /** Freeing a share of the live blocks. */
    FREE,
    /** Doing nothing, so that background threads may give memory back. */
    IDLE,
    /** A churn workload filling its working set and running unmeasured, for the JIT and the allocator. */
    WARMUP,
    /** A churn workload's measured operations. */
    MEASURE,
    /** After the last idle phase, or after a churn workload's measured operations. */
    END;

    /**
     * The phase's name in the CSV files.
     *
     * @return the name in lower case, for example {@code "idle"}
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The phase with a given {@link #label()}.
     *
     * @param label a label, for example {@code "idle"}
     * @return the phase
     * @throws IllegalArgumentException if no phase has that label
     */
    public static Phase ofLabel(final String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }
}
