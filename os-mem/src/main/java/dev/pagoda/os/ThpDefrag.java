package dev.pagoda.os;

/**
 * How hard a page fault tries to get a transparent huge page when none is free: the selected option of
 * {@code /sys/kernel/mm/transparent_hugepage/defrag} (on RHEL&nbsp;6,
 * {@code /sys/kernel/mm/redhat_transparent_hugepage/defrag}).
 *
 * <p>Current kernels write {@code "always defer defer+madvise [madvise] never"}; kernels before 4.6 offered
 * only {@code always}, {@code madvise} and {@code never}, and 4.6 to 4.10 had no {@code defer+madvise}.
 *
 * @see TransparentHugePages
 */
public enum ThpDefrag {
    /** {@code always}: a fault stalls for direct reclaim and compaction to get a huge page. */
    ALWAYS("always"),
    /** {@code defer}: a fault wakes kswapd and kcompactd and takes small pages meanwhile. */
    DEFER("defer"),
    /** {@code defer+madvise}: direct reclaim for {@code MADV_HUGEPAGE} ranges, deferred for the rest. */
    DEFER_MADVISE("defer+madvise"),
    /** {@code madvise}: direct reclaim only for {@code MADV_HUGEPAGE} ranges. */
    MADVISE("madvise"),
    /** {@code never}: faults never reclaim or compact for a huge page. */
    NEVER("never"),
    /** The file is missing or its contents could not be read as one of the options above. */
    UNKNOWN("unknown");

    private final String token;

    ThpDefrag(final String token) {
        this.token = token;
    }

    /**
     * The word the kernel uses for this policy.
     *
     * @return the sysfs option, for example {@code "defer+madvise"}; {@code "unknown"} for {@link #UNKNOWN}
     */
    public String token() {
        return token;
    }
}
