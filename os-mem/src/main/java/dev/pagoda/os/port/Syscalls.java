package dev.pagoda.os.port;

/**
 * The handful of system calls the OS ports make, so that a recording fake can stand in for the kernel and
 * tests can assert, on any OS, the exact calls and flags each port issues. Every method returns the raw
 * result on success and {@code -errno} on failure, and never throws.
 */
public interface Syscalls {
    /**
     * {@code mmap(address, length, prot, flags, -1, 0)}.
     *
     * @param address the address hint, or 0
     * @param length  the length in bytes
     * @param prot    the {@code PROT_*} bits
     * @param flags   the {@code MAP_*} bits
     * @return the mapped address, or {@code -errno}
     */
    long mmap(long address, long length, int prot, int flags);

    /**
     * {@code munmap(address, length)}.
     *
     * @param address the start of the range
     * @param length  the length in bytes
     * @return 0 or {@code -errno}
     */
    int munmap(long address, long length);

    /**
     * {@code madvise(address, length, advice)}.
     *
     * @param address the start of the range
     * @param length  the length in bytes
     * @param advice  the {@code MADV_*} value
     * @return 0 or {@code -errno}
     */
    int madvise(long address, long length, int advice);

    /**
     * Linux {@code process_madvise(pidfd_self, iovec[count], count, advice, 0)} over ranges {@code [from, from +
     * count)} of the arrays (Linux 5.10; any advice on the calling process since 6.13). The kernel advises the
     * ranges in order and answers how many bytes it advised, which falls short of the total if it stopped at an
     * error. A fake or an OS without it answers Linux's {@code -ENOSYS}.
     *
     * @param addresses the ranges' starts
     * @param lengths   the ranges' sizes
     * @param from      the first range
     * @param count     how many ranges, at most {@link #MAX_IOVEC}
     * @param advice    the {@code MADV_*} value
     * @return the bytes advised, or {@code -errno}
     */
    default long processMadvise(final long[] addresses, final long[] lengths, final int from, final int count,
                                final int advice) {
        return -ENOSYS_LINUX;
    }

    /** The most ranges one {@link #processMadvise} takes: Linux's {@code UIO_MAXIOV}. */
    int MAX_IOVEC = 1024;

    /** Linux's {@code ENOSYS}. */
    int ENOSYS_LINUX = 38;

    /**
     * {@code mprotect(address, length, prot)}.
     *
     * @param address the start of the range
     * @param length  the length in bytes
     * @param prot    the {@code PROT_*} bits
     * @return 0 or {@code -errno}
     */
    int mprotect(long address, long length, int prot);

    /**
     * {@code mlock(address, length)}: keeps the range's pages resident (and faults them in).
     *
     * @param address the start of the range
     * @param length  the length in bytes
     * @return 0 or {@code -errno}
     */
    int mlock(long address, long length);

    /**
     * {@code munlock(address, length)}: lets the kernel page the range out again.
     *
     * @param address the start of the range
     * @param length  the length in bytes
     * @return 0 or {@code -errno}
     */
    int munlock(long address, long length);

    /**
     * The soft limit of {@code getrlimit(resource)}, for messages that explain a refusal.
     *
     * @param resource the {@code RLIMIT_*} number of the running OS
     * @return the soft limit in the resource's unit, {@link Long#MAX_VALUE} for {@code RLIM_INFINITY}, or
     *         {@code -errno}
     */
    long softLimit(int resource);

    /**
     * Linux {@code prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, address, length, name)}. Other OSes answer
     * {@code -ENOSYS}.
     *
     * @param address the start of the range
     * @param length  the length in bytes
     * @param name    the name {@code /proc/self/maps} shows as {@code [anon:name]}
     * @return 0 or {@code -errno}
     */
    int nameAnonymous(long address, long length, String name);
}
