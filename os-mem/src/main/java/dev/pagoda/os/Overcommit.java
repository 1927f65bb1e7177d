package dev.pagoda.os;

/**
 * The kernel's memory overcommit policy, {@code /proc/sys/vm/overcommit_memory}.
 *
 * <p>It decides whether large reservations succeed: under {@link #HEURISTIC} and {@link #ALWAYS} a
 * {@code PROT_NONE}, {@code MAP_NORESERVE} reservation of many gigabytes costs nothing; under {@link #NEVER}
 * writable private mappings are charged against the commit limit when they are made.
 */
public enum Overcommit {
    /** {@code 0}: the kernel refuses only obvious overcommits (the default). */
    HEURISTIC(0),
    /** {@code 1}: every allocation succeeds; memory runs out at first touch instead. */
    ALWAYS(1),
    /** {@code 2}: strict accounting against {@code CommitLimit}; {@code MAP_NORESERVE} is ignored. */
    NEVER(2),
    /** The file is missing (not Linux) or holds something other than 0, 1 or 2. */
    UNKNOWN(-1);

    private final int code;

    Overcommit(final int code) {
        this.code = code;
    }

    /**
     * The value the kernel writes for this policy.
     *
     * @return 0, 1 or 2; -1 for {@link #UNKNOWN}
     */
    public int code() {
        return code;
    }

    /**
     * The policy with the given kernel value.
     *
     * @param code the contents of {@code overcommit_memory} as a number
     * @return the policy, or {@link #UNKNOWN} when {@code code} is not 0, 1 or 2
     */
    public static Overcommit fromCode(final int code) {
        return switch (code) {
            case 0 -> HEURISTIC;
            case 1 -> ALWAYS;
            case 2 -> NEVER;
            default -> UNKNOWN;
        };
    }
}
