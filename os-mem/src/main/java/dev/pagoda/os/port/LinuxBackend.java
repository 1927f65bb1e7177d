package dev.pagoda.os.port;

import dev.pagoda.os.ReleaseAdvice;
import dev.pagoda.os.SystemOptions;
import dev.pagoda.os.libc.Errno;

/**
 * The Linux port of Go's {@code mem_linux.go}, over {@link Syscalls}.
 *
 * <ul>
 *   <li>reserve: {@code mmap(NULL, n, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE)}; unlike Go we add
 *       {@code MAP_NORESERVE} so that a reservation never counts against the commit limit;</li>
 *   <li>map: {@code mmap(v, n, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED)} over the reservation,
 *       then {@code MADV_NOHUGEPAGE} when configured (Go's {@code disablethp});</li>
 *   <li>used: nothing; the first touch faults the pages in;</li>
 *   <li>unused: {@code MADV_DONTNEED}, or {@code MADV_FREE} when configured, with Go's fallback chain
 *       {@code MADV_FREE → MADV_DONTNEED → mmap(MAP_FIXED)} remembered across calls; a batch of ranges:
 *       {@code process_madvise} on this process's pidfd (Linux 6.13+), else one call per range;</li>
 *   <li>fault: {@code mprotect(PROT_NONE)} then {@code MADV_DONTNEED} (Go since 1.23: a shorter hold of the
 *       mm lock than a {@code MAP_FIXED} remap);</li>
 *   <li>free: {@code munmap}; alloc: {@code mmap(NULL, n, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)};</li>
 *   <li>lock: {@code mlock}; unlock: {@code munlock}; a lock refused with {@code EPERM}, {@code ENOMEM} or
 *       {@code EAGAIN} is explained with {@code RLIMIT_MEMLOCK} ({@code getrlimit});</li>
 *   <li>hugePage: {@code MADV_HUGEPAGE} over the range rounded inward to huge-page bounds; noHugePage:
 *       {@code MADV_NOHUGEPAGE}; hugePageCollapse: {@code MADV_COLLAPSE} (Linux 6.1+), best effort.</li>
 * </ul>
 * New mappings are named with {@code PR_SET_VMA_ANON_NAME}; the first {@code EINVAL} (a kernel without
 * {@code CONFIG_ANON_VMA_NAME}, or older than 5.17) switches naming off for good, other errors are ignored.
 */
public final class LinuxBackend implements Backend {
    static final int PROT_NONE = 0x0;
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_FIXED = 0x10;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final int MADV_DONTNEED = 4;
    static final int MADV_FREE = 8;
    static final int MADV_HUGEPAGE = 14;
    static final int MADV_NOHUGEPAGE = 15;
    static final int MADV_COLLAPSE = 25;
    static final int EINVAL = 22;
    static final int RLIMIT_MEMLOCK = 8;

    /** {@link #adviseUnused} value once neither advice works: remap instead. */
    private static final int ADVICE_UNSUPPORTED = 0;

    private final Syscalls sys;
    private final long pageSize;
    private final long hugePageSize;
    private final SystemOptions options;
    /** The advice unused tries first; moves down the fallback chain as the kernel refuses advices. */
    private volatile int adviseUnused;
    /** Whether memory released so far may hold old contents (MADV_FREE was used). */
    private final boolean freeAdvice;
    private volatile boolean naming = true;
    /** Whether a batch of releases tries {@code process_madvise}; off for good once the kernel refuses it. */
    private volatile boolean batching = true;

    /**
     * A Linux port over {@code sys}.
     *
     * @param sys          the system calls, the kernel's or a test's fake
     * @param pageSize     the page size
     * @param hugePageSize the transparent huge page size, or 0 for none
     * @param options      release advice, huge-page policy and mapping names
     */
    public LinuxBackend(final Syscalls sys, final long pageSize, final long hugePageSize, final SystemOptions options) {
        this.sys = sys;
        this.pageSize = pageSize;
        this.hugePageSize = hugePageSize;
        this.options = options;
        this.freeAdvice = options.release() == ReleaseAdvice.FREE;
        this.adviseUnused = freeAdvice ? MADV_FREE : MADV_DONTNEED;
    }

    @Override
    public String name() {
        return "linux";
    }

    @Override
    public long pageSize() {
        return pageSize;
    }

    @Override
    public long hugePageSize() {
        return hugePageSize;
    }

    @Override
    public boolean needZeroAfterUnused() {
        // Go: needZeroAfterSysUnusedOS() is "debug.madvdontneed == 0". Once MADV_FREE was configured, any
        // released page may hold old data even if the chain later fell back to MADV_DONTNEED.
        return freeAdvice;
    }

    @Override
    public String errnoName(final int errno) {
        return Errno.name(errno);
    }

    @Override
    public long reserve(final long bytes) {
        final long p = sys.mmap(0L, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
        if (p >= 0) {
            name(p, bytes, "reserved");
        }
        return p;
    }

    @Override
    public int map(final long address, final long bytes) {
        final long p = sys.mmap(address, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
        if (p < 0) {
            return (int) p;
        }
        name(address, bytes, "heap");
        if (options.noHugePagesOnMap()) {
            sys.madvise(address, bytes, MADV_NOHUGEPAGE);
        }
        return 0;
    }

    @Override
    public int used(final long address, final long bytes) {
        return 0;
    }

    @Override
    public int unused(final long address, final long bytes) {
        int advice = adviseUnused;
        if (advice == MADV_FREE) {
            if (sys.madvise(address, bytes, MADV_FREE) == 0) {
                return 0;
            }
            // MADV_FREE arrived in Linux 4.5: fall back for good.
            adviseUnused = advice = MADV_DONTNEED;
        }
        if (advice == MADV_DONTNEED) {
            if (sys.madvise(address, bytes, MADV_DONTNEED) == 0) {
                return 0;
            }
            // Since Linux 3.18 madvise is optional (CONFIG_ADVISE_SYSCALLS).
            adviseUnused = ADVICE_UNSUPPORTED;
        }
        // A fresh private mapping over the range drops the old pages; it must stay mapped (never munmap).
        final long p = sys.mmap(address, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
        if (p < 0) {
            return (int) p;
        }
        name(address, bytes, "unused");
        return 0;
    }

    /**
     * A batch: {@code process_madvise} over up to {@link Syscalls#MAX_IOVEC} ranges a call, with the advice
     * {@link #unused(long, long)} would use. Where it stops short at an error, or is refused, the remaining ranges go
     * one call at a time, which also finds the range the kernel refuses. A refusal after which every range could be
     * released one by one was a refusal of {@code process_madvise} itself (before Linux 6.13 it takes no
     * {@code MADV_DONTNEED}): batching is then off for good.
     */
    @Override
    public long unused(final long[] addresses, final long[] lengths, final int count) {
        int done = 0;
        boolean refused = false;
        final int advice = adviseUnused;
        if (batching && count > 1 && (advice == MADV_DONTNEED || advice == MADV_FREE)) {
            while (done < count) {
                final int n = Math.min(Syscalls.MAX_IOVEC, count - done);
                long want = 0;
                for (int i = done; i < done + n; i++) {
                    want += lengths[i];
                }
                final long rc = sys.processMadvise(addresses, lengths, done, n, advice);
                if (rc == want) {
                    done += n;
                    continue;
                }
                refused = rc < 0;
                for (long advised = Math.max(rc, 0); advised >= lengths[done]; done++) {
                    advised -= lengths[done]; // ranges wholly advised before the kernel stopped
                }
                break;
            }
        }
        for (int i = done; i < count; i++) {
            final int rc = unused(addresses[i], lengths[i]);
            if (rc < 0) {
                return (long) i << 32 | (-rc & 0xffff_ffffL);
            }
        }
        if (refused) {
            batching = false;
        }
        return (long) count << 32;
    }

    @Override
    public int fault(final long address, final long bytes) {
        final int rc = sys.mprotect(address, bytes, PROT_NONE);
        if (rc < 0) {
            return rc;
        }
        // The range is inaccessible now, which is what Reserved promises; dropping the pages is best effort.
        sys.madvise(address, bytes, MADV_DONTNEED);
        return 0;
    }

    @Override
    public int free(final long address, final long bytes) {
        return sys.munmap(address, bytes);
    }

    @Override
    public long alloc(final long bytes) {
        final long p = sys.mmap(0L, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
        if (p >= 0) {
            name(p, bytes, "alloc");
        }
        return p;
    }

    @Override
    public int lock(final long address, final long bytes) {
        return sys.mlock(address, bytes);
    }

    @Override
    public int unlock(final long address, final long bytes) {
        return sys.munlock(address, bytes);
    }

    @Override
    public String lockRefusal(final int errno) {
        // mlock(2): ENOMEM over the limit without CAP_IPC_LOCK, EPERM when the limit is 0, EAGAIN when some pages
        // could not be locked.
        if (errno == Errno.ENOMEM || errno == Errno.EPERM || errno == Errno.EAGAIN) {
            return Backend.memlockAdvice(sys.softLimit(RLIMIT_MEMLOCK));
        }
        return null;
    }

    @Override
    public void hugePage(final long address, final long bytes) {
        if (hugePageSize == 0) {
            return;
        }
        final long begin = (address + hugePageSize - 1) & -hugePageSize;
        final long end = (address + bytes) & -hugePageSize;
        if (begin < end) {
            sys.madvise(begin, end - begin, MADV_HUGEPAGE); // errors ignored, as in Go
        }
    }

    @Override
    public void noHugePage(final long address, final long bytes) {
        sys.madvise(address, bytes, MADV_NOHUGEPAGE); // errors ignored, as in Go
    }

    @Override
    public void hugePageCollapse(final long address, final long bytes) {
        if (hugePageSize == 0) {
            return;
        }
        // Best effort: EAGAIN for a busy last huge page, EINVAL for never-touched memory; both are fine.
        sys.madvise(address, bytes, MADV_COLLAPSE);
    }

    private void name(final long address, final long bytes, final String what) {
        if (!naming) {
            return;
        }
        final int rc = sys.nameAnonymous(address, bytes, options.vmaNamePrefix() + " " + what);
        if (rc == -EINVAL) {
            naming = false;
        }
    }
}
