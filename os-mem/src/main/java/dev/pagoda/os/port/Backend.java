package dev.pagoda.os.port;

/**
 * The per-OS half of the layer: Go's {@code sys*OS} functions. {@link dev.pagoda.os.OsMemory} does the argument
 * and state checks and the accounting, then calls exactly one of these. Return values follow the raw-syscall
 * convention: an address or {@code 0} on success, {@code -errno} on failure. Implementations never throw
 * for a failing call and never touch a range the caller did not hand them.
 */
public interface Backend {
    /**
     * A short name for messages.
     *
     * @return {@code "linux"}, {@code "darwin"} or {@code "simulated"}
     */
    String name();

    /**
     * The OS page size; every range is a multiple of it.
     *
     * @return the page size in bytes
     */
    long pageSize();

    /**
     * The transparent huge page size.
     *
     * @return the size in bytes, or 0 when the OS has none (or hides it)
     */
    long hugePageSize();

    /**
     * Whether memory given back by {@link #unused} may read back non-zero when used again.
     *
     * @return true if released memory needs zeroing before reuse
     */
    boolean needZeroAfterUnused();

    /**
     * The symbolic name of an errno on this OS.
     *
     * @param errno the error number
     * @return its name, for example {@code "ENOMEM"}
     */
    String errnoName(int errno);

    /**
     * None to Reserved, address chosen by the OS.
     *
     * @param bytes the size, a positive multiple of the page size
     * @return the address, or {@code -errno}
     */
    long reserve(long bytes);

    /**
     * None to Reserved at an address aligned to {@code alignment}: over-reserve by the alignment and give
     * back the unaligned head and tail, as Go does for heap arenas.
     *
     * @param bytes     the size, a positive multiple of the page size
     * @param alignment a power of two of at least the page size
     * @return the aligned address, or {@code -errno}
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

    /**
     * Reserved to Prepared.
     *
     * @param address the start of the range
     * @param bytes   the size of the range
     * @return 0, or {@code -errno}
     */
    int map(long address, long bytes);

    /**
     * Prepared to Ready.
     *
     * @param address the start of the range
     * @param bytes   the size of the range
     * @return 0, or {@code -errno}
     */
    int used(long address, long bytes);

    /**
     * Ready to Prepared.
     *
     * @param address the start of the range
     * @param bytes   the size of the range
     * @return 0, or {@code -errno}
     */
    int unused(long address, long bytes);

    /**
     * Ready to Prepared over several ranges, in order, in as few system calls as the port can: by default one
     * {@link #unused(long, long)} per range, stopping at the first refusal.
     *
     * @param addresses the ranges' starts, ascending
     * @param lengths   the ranges' sizes; no range overlaps the next
     * @param count     how many ranges
     * @return {@code released << 32 | errno}: the ranges released from index 0, all of them ({@code count}) with
     *         errno 0 on success; otherwise the errno of range {@code released}, which was not released, and
     *         neither were those after it
     */
    default long unused(final long[] addresses, final long[] lengths, final int count) {
        for (int i = 0; i < count; i++) {
            final int rc = unused(addresses[i], lengths[i]);
            if (rc < 0) {
                return (long) i << 32 | (-rc & 0xffff_ffffL);
            }
        }
        return (long) count << 32;
    }

    /**
     * Ready or Prepared to Reserved.
     *
     * @param address the start of the range
     * @param bytes   the size of the range
     * @return 0, or {@code -errno}
     */
    int fault(long address, long bytes);

    /**
     * Any state to None.
     *
     * @param address the start of the range
     * @param bytes   the size of the range
     * @return 0, or {@code -errno}
     */
    int free(long address, long bytes);

    /**
     * None to Ready, address chosen by the OS.
     *
     * @param bytes the size, a positive multiple of the page size
     * @return the address, or {@code -errno}
     */
    long alloc(long bytes);

    /**
     * Locks the range's pages in memory ({@code mlock}); no state change. Unlike the huge-page hints its errors
     * are reported.
     *
     * @param address the start of the range
     * @param bytes   the size of the range
     * @return 0, or {@code -errno}
     */
    int lock(long address, long bytes);

    /**
     * Unlocks the range's pages ({@code munlock}); no state change.
     *
     * @param address the start of the range
     * @param bytes   the size of the range
     * @return 0, or {@code -errno}
     */
    int unlock(long address, long bytes);

    /**
     * Explains a refused {@link #lock}: when {@code errno} is how this OS says "over the locked-memory limit",
     * a sentence naming {@code RLIMIT_MEMLOCK}, {@code ulimit -l} and the limit now in force.
     *
     * @param errno the error number {@code lock} returned
     * @return the advice, or null if {@code errno} is not a refusal by the limit
     */
    String lockRefusal(int errno);

    /**
     * The advice of {@link #lockRefusal} for a soft limit read with {@code getrlimit}.
     *
     * @param softLimit the soft {@code RLIMIT_MEMLOCK} in bytes, {@link Long#MAX_VALUE} for unlimited, or
     *                  {@code -errno} if it could not be read
     * @return one sentence
     */
    static String memlockAdvice(final long softLimit) {
        final String now = softLimit < 0 ? "unknown here"
                : softLimit == Long.MAX_VALUE ? "unlimited" : softLimit + " bytes";
        return "the kernel refused to lock the pages: the locked memory of a process is limited by RLIMIT_MEMLOCK ("
                + "ulimit -l; now " + now + "); raise it (ulimit -l, limits.conf, systemd's LimitMEMLOCK=) or "
                + "run with CAP_IPC_LOCK";
    }

    /**
     * Hint: back the range with huge pages. Kernel errors are ignored, as in Go: a hint never fails.
     *
     * @param address the start of the range
     * @param bytes   the size of the range
     */
    void hugePage(long address, long bytes);

    /**
     * Hint: do not back the range with huge pages. Kernel errors are ignored.
     *
     * @param address the start of the range
     * @param bytes   the size of the range
     */
    void noHugePage(long address, long bytes);

    /**
     * Hint: collapse the range into huge pages now, best effort. Kernel errors are ignored.
     *
     * @param address the start of the range
     * @param bytes   the size of the range
     */
    void hugePageCollapse(long address, long bytes);
}
