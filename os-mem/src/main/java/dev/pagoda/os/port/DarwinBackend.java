package dev.pagoda.os.port;

import dev.pagoda.os.libc.Errno;

/**
 * The Darwin (macOS) port of Go's {@code mem_darwin.go}, over {@link Syscalls}, with Darwin's own constants:
 * {@code MAP_ANON} is {@code 0x1000} (not Linux's {@code 0x20}) and advice 8 is {@code MADV_FREE_REUSE}
 * (Linux's {@code MADV_FREE}).
 *
 * <ul>
 *   <li>reserve: {@code mmap(NULL, n, PROT_NONE, MAP_ANON|MAP_PRIVATE)};</li>
 *   <li>map: {@code mmap(v, n, PROT_READ|PROT_WRITE, MAP_ANON|MAP_FIXED|MAP_PRIVATE)};</li>
 *   <li>used: {@code MADV_FREE_REUSE}, which keeps the kernel's accounting right (a no-op on memory that was
 *       never made reusable);</li>
 *   <li>unused: {@code MADV_FREE_REUSABLE}, like {@code MADV_FREE} but visible in the task's footprint; the
 *       pages may come back with old contents, so released memory always needs zeroing;</li>
 *   <li>fault: {@code mmap(v, n, PROT_NONE, MAP_ANON|MAP_PRIVATE|MAP_FIXED)} (the Linux change to
 *       {@code mprotect} was Linux-only);</li>
 *   <li>free: {@code munmap}; alloc: {@code mmap(NULL, n, PROT_READ|PROT_WRITE, MAP_ANON|MAP_PRIVATE)};</li>
 *   <li>lock: {@code mlock}; unlock: {@code munlock}; a lock refused with {@code EAGAIN} (over the limit),
 *       {@code ENOMEM} or {@code EPERM} is explained with {@code RLIMIT_MEMLOCK}, which is 6 here, not Linux's 8;</li>
 *   <li>huge-page hints: nothing (Darwin has no transparent huge pages).</li>
 * </ul>
 * As in Go, the result of {@code madvise} is not acted on: the advices only tune accounting.
 */
public final class DarwinBackend implements Backend {
    static final int PROT_NONE = 0x0;
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_PRIVATE = 0x0002;
    static final int MAP_FIXED = 0x0010;
    static final int MAP_ANON = 0x1000;
    static final int MADV_FREE_REUSABLE = 7;
    static final int MADV_FREE_REUSE = 8;
    static final int RLIMIT_MEMLOCK = 6;

    private final Syscalls sys;
    private final long pageSize;

    /**
     * A Darwin port over {@code sys}.
     *
     * @param sys      the system calls, the kernel's or a test's fake
     * @param pageSize the page size
     */
    public DarwinBackend(final Syscalls sys, final long pageSize) {
        this.sys = sys;
        this.pageSize = pageSize;
    }

    @Override
    public String name() {
        return "darwin";
    }

    @Override
    public long pageSize() {
        return pageSize;
    }

    @Override
    public long hugePageSize() {
        return 0;
    }

    @Override
    public boolean needZeroAfterUnused() {
        return true;
    }

    @Override
    public String errnoName(final int errno) {
        return Errno.darwinName(errno);
    }

    @Override
    public long reserve(final long bytes) {
        return sys.mmap(0L, bytes, PROT_NONE, MAP_ANON | MAP_PRIVATE);
    }

    @Override
    public int map(final long address, final long bytes) {
        final long p = sys.mmap(address, bytes, PROT_READ | PROT_WRITE, MAP_ANON | MAP_FIXED | MAP_PRIVATE);
        return p < 0 ? (int) p : 0;
    }

    @Override
    public int used(final long address, final long bytes) {
        sys.madvise(address, bytes, MADV_FREE_REUSE);
        return 0;
    }

    @Override
    public int unused(final long address, final long bytes) {
        sys.madvise(address, bytes, MADV_FREE_REUSABLE);
        return 0;
    }

    @Override
    public int fault(final long address, final long bytes) {
        final long p = sys.mmap(address, bytes, PROT_NONE, MAP_ANON | MAP_PRIVATE | MAP_FIXED);
        return p < 0 ? (int) p : 0;
    }

    @Override
    public int free(final long address, final long bytes) {
        return sys.munmap(address, bytes);
    }

    @Override
    public long alloc(final long bytes) {
        return sys.mmap(0L, bytes, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE);
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
        if (errno == Errno.DARWIN_EAGAIN || errno == Errno.ENOMEM || errno == Errno.EPERM) {
            return Backend.memlockAdvice(sys.softLimit(RLIMIT_MEMLOCK));
        }
        return null;
    }

    @Override
    public void hugePage(final long address, final long bytes) {
        // Darwin has no transparent huge pages to ask for.
    }

    @Override
    public void noHugePage(final long address, final long bytes) {
        // Darwin has no transparent huge pages to refuse.
    }

    @Override
    public void hugePageCollapse(final long address, final long bytes) {
        // Darwin has no transparent huge pages to collapse into.
    }
}
