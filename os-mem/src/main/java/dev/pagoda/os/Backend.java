package dev.pagoda.os;

/**
 * The per-OS half of the layer: Go's {@code sys*OS} functions. {@link OsMemory} does the argument and
 * state checks and the accounting, then calls exactly one of these. Return values follow the raw-syscall
 * convention: an address or {@code 0} on success, {@code -errno} on failure. Implementations never throw
 * for a failing call and never touch a range the caller did not hand them.
 */
interface Backend {
    /** A short name for messages: {@code "linux"}, {@code "darwin"}, {@code "simulated"}. */
    String name();

    /** The OS page size; every range is a multiple of it. */
    long pageSize();

    /** The transparent huge page size, or 0 when the OS has none (or hides it). */
    long hugePageSize();

    /** Whether memory given back by {@link #unused} may read back non-zero when used again. */
    boolean needZeroAfterUnused();

    /** The symbolic name of an errno on this OS. */
    String errnoName(int errno);

    /** None to Reserved, address chosen by the OS. */
    long reserve(long bytes);

    /**
     * None to Reserved at an address aligned to {@code alignment}: over-reserve by the alignment and give
     * back the unaligned head and tail, as Go does for heap arenas.
     */
    default long reserveAligned(final long bytes, final long alignment) {
        final long total = bytes + alignment;
        final long p = reserve(total);
        if (p < 0) {
            return p;
        }
        final long aligned = (p + alignment - 1) & -alignment;
        final long head = aligned - p;
        final long tail = p + total - (aligned + bytes);
        int rc = head > 0 ? free(p, head) : 0;
        if (rc == 0 && tail > 0) {
            rc = free(aligned + bytes, tail);
        }
        if (rc < 0) {
            free(p, total);
            return rc;
        }
        return aligned;
    }

    /** Reserved to Prepared. */
    int map(long address, long bytes);

    /** Prepared to Ready. */
    int used(long address, long bytes);

    /** Ready to Prepared. */
    int unused(long address, long bytes);

    /** Ready or Prepared to Reserved. */
    int fault(long address, long bytes);

    /** Any state to None. */
    int free(long address, long bytes);

    /** None to Ready, address chosen by the OS. */
    long alloc(long bytes);

    /** Hint: back the range with huge pages. Kernel errors are ignored, as in Go: a hint never fails. */
    void hugePage(long address, long bytes);

    /** Hint: do not back the range with huge pages. Kernel errors are ignored. */
    void noHugePage(long address, long bytes);

    /** Hint: collapse the range into huge pages now, best effort. Kernel errors are ignored. */
    void hugePageCollapse(long address, long bytes);
}
