package dev.pagoda.os;

/**
 * When the kernel backs anonymous memory with transparent huge pages: the selected option of
 * {@code /sys/kernel/mm/transparent_hugepage/enabled} (on RHEL&nbsp;6,
 * {@code /sys/kernel/mm/redhat_transparent_hugepage/enabled}).
 *
 * <p>The kernel lists every option and brackets the selected one, {@code "always [madvise] never"}.
 *
 * @see TransparentHugePages
 */
public enum ThpMode {
    /** {@code always}: every suitably aligned anonymous range may get huge pages, advised or not. */
    ALWAYS("always"),
    /** {@code madvise}: only ranges advised with {@code MADV_HUGEPAGE} get huge pages. */
    MADVISE("madvise"),
    /** {@code never}: no transparent huge pages; {@code MADV_HUGEPAGE} has no effect. */
    NEVER("never"),
    /** The file is missing or its contents could not be read as one of the options above. */
    UNKNOWN("unknown");

    private final String token;

    ThpMode(final String token) {
        this.token = token;
    }

    /**
     * The word the kernel uses for this mode.
     *
     * @return the sysfs option, for example {@code "madvise"}; {@code "unknown"} for {@link #UNKNOWN}
     */
    public String token() {
        return token;
    }
}
