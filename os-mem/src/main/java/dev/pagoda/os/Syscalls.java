package dev.pagoda.os;

/**
 * The handful of system calls the OS ports make, so that a recording fake can stand in for the kernel and
 * tests can assert, on any OS, the exact calls and flags each port issues. Every method returns the raw
 * result on success and {@code -errno} on failure, and never throws.
 */
interface Syscalls {
    /** {@code mmap(address, length, prot, flags, -1, 0)}: the mapped address, or {@code -errno}. */
    long mmap(long address, long length, int prot, int flags);

    /** {@code munmap(address, length)}: 0 or {@code -errno}. */
    int munmap(long address, long length);

    /** {@code madvise(address, length, advice)}: 0 or {@code -errno}. */
    int madvise(long address, long length, int advice);

    /** {@code mprotect(address, length, prot)}: 0 or {@code -errno}. */
    int mprotect(long address, long length, int prot);

    /**
     * Linux {@code prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, address, length, name)}: 0 or {@code -errno}.
     * Other OSes answer {@code -ENOSYS}.
     */
    int nameAnonymous(long address, long length, String name);
}
