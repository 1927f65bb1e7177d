package dev.pagoda.os;

/**
 * How the Linux port gives memory back in {@link OsMemory#unused}.
 *
 * <p>The default, {@link #DONTNEED}, is what the Go runtime has used on Linux since Go 1.16
 * (golang/go#42330): the resident set shrinks at once, monitoring sees it, and the pages read back as
 * zeros, so released memory never needs zeroing. {@link #FREE} is cheaper for the kernel but the pages
 * stay counted in RSS until memory pressure reclaims them and may come back with their old contents, so
 * memory released with it must be zeroed before reuse. Darwin ignores this choice: it always uses
 * {@code MADV_FREE_REUSABLE}.
 */
public enum ReleaseAdvice {
    /** {@code MADV_DONTNEED}: RSS drops immediately; released pages read back as zero. */
    DONTNEED,
    /**
     * {@code MADV_FREE} (Linux 4.5+): pages are reclaimed lazily; released memory needs zeroing. Falls back to
     * {@code MADV_DONTNEED}, then to a fresh {@code MAP_FIXED} mapping, when the kernel lacks the advice.
     */
    FREE
}
