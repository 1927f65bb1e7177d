package dev.pagoda.os.port;

import dev.pagoda.os.Operation;
import dev.pagoda.os.libc.Errno;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The pure-Java kernel behind {@link dev.pagoda.os.Simulation}: fake address space, per-page protections,
 * an address-space, a commit and a locked-memory limit, and a plan of injected failures, with the simulated port
 * ({@link #backend()}) that drives it.
 *
 * <p>Locked pages follow Linux: {@code mlock} beyond the locked-memory limit fails with {@code ENOMEM} and locks
 * nothing; {@code madvise(MADV_DONTNEED)} over a locked page fails with {@code EINVAL}; a new mapping over a
 * range ({@code map}, {@code fault}) or its unmapping ({@code free}) unlocks it.
 *
 * <p>Addresses it hands out are plausible, page-aligned and never reused, but no memory backs them. A planned
 * failure fires on the {@code n}-th next call of its {@link Operation} and leaves the model unchanged, as a
 * failing system call does; a failure planned for a huge-page hint fires and counts as a call but is dropped,
 * as the real ports drop {@code madvise}'s answer to a hint. The arguments are checked by the caller. All
 * methods are thread-safe: they synchronise on this object.
 */
public final class SimulatedKernel {
    /** {@link #protectionAt} of a page that is not mapped. */
    public static final int UNMAPPED = RangeStates.ABSENT;
    /** {@link #protectionAt} of a page mapped {@code PROT_NONE}: reserved or faulted. */
    public static final int PROT_NONE = 1;
    /** {@link #protectionAt} of a page mapped read/write, and committed. */
    public static final int READ_WRITE = 2;
    /** The code of a locked page in the map of locks. */
    private static final int LOCKED = 1;

    private final long pageSize;
    private final long hugePageSize;
    private final boolean needZeroAfterUnused;
    private final long addressSpaceLimit;
    private final long commitLimit;
    private final long lockLimit;

    private final RangeStates kernel = new RangeStates();
    /** Locked pages: code {@link #LOCKED}, everything else absent. */
    private final RangeStates locks = new RangeStates();
    private final Map<Operation, Long> calls = new EnumMap<>(Operation.class);
    private final List<long[]> plan = new ArrayList<>();
    private final List<Operation> planOps = new ArrayList<>();
    private long nextAddress;
    private long reservedBytes;
    private long committedBytes;
    private long lockedBytes;

    /**
     * A kernel with nothing mapped.
     *
     * @param pageSize            the page size, a power of two
     * @param hugePageSize        the transparent huge page size, or 0 for none
     * @param needZeroAfterUnused whether released memory may read back with old contents
     * @param addressSpaceLimit   the most bytes that may be mapped at once
     * @param commitLimit         the most bytes that may be mapped read/write at once
     * @param lockLimit           the most bytes that may be locked at once ({@code RLIMIT_MEMLOCK})
     * @param baseAddress         the first address handed out
     */
    public SimulatedKernel(final long pageSize, final long hugePageSize, final boolean needZeroAfterUnused,
                           final long addressSpaceLimit, final long commitLimit, final long lockLimit,
                           final long baseAddress) {
        this.pageSize = pageSize;
        this.hugePageSize = hugePageSize;
        this.needZeroAfterUnused = needZeroAfterUnused;
        this.addressSpaceLimit = addressSpaceLimit;
        this.commitLimit = commitLimit;
        this.lockLimit = lockLimit;
        this.nextAddress = baseAddress;
    }

    /**
     * Makes the {@code nth} next call of {@code operation} fail with {@code errno}; each planned failure fires
     * once.
     *
     * @param operation the operation to fail
     * @param nth       which of the coming calls fails, counting from 1
     * @param errno     the error number it reports
     */
    public synchronized void failNth(final Operation operation, final long nth, final int errno) {
        planOps.add(operation);
        plan.add(new long[] {nth, errno});
    }

    /** Forgets every planned failure that has not fired yet. */
    public synchronized void clearFailures() {
        planOps.clear();
        plan.clear();
    }

    /**
     * How many planned failures have neither fired nor been cleared.
     *
     * @return the number of pending failures
     */
    public synchronized int pendingFailures() {
        return plan.size();
    }

    /**
     * How many times the kernel was asked to perform {@code operation}, failed calls included.
     *
     * @param operation the operation
     * @return the number of calls so far
     */
    public synchronized long calls(final Operation operation) {
        return calls.getOrDefault(operation, 0L);
    }

    /**
     * How the page containing {@code address} is mapped.
     *
     * @param address any address
     * @return {@link #UNMAPPED}, {@link #PROT_NONE} or {@link #READ_WRITE}
     */
    public synchronized int protectionAt(final long address) {
        return kernel.codeAt(address);
    }

    /**
     * Bytes of address space currently mapped in any protection.
     *
     * @return the reserved bytes
     */
    public synchronized long reservedBytes() {
        return reservedBytes;
    }

    /**
     * Bytes currently mapped read/write, the simulated commit charge.
     *
     * @return the committed bytes
     */
    public synchronized long committedBytes() {
        return committedBytes;
    }

    /**
     * Bytes currently locked with {@code mlock}.
     *
     * @return the locked bytes
     */
    public synchronized long lockedBytes() {
        return lockedBytes;
    }

    /**
     * The simulated {@code sys*OS} functions over this kernel; every port made here shares its state.
     *
     * @return a new port
     */
    public Backend backend() {
        return new Port();
    }

    /** Counts a call and answers the errno of a planned failure that fires now, or 0. */
    private int injected(final Operation op) {
        calls.merge(op, 1L, Long::sum);
        final Iterator<Operation> ops = planOps.iterator();
        final Iterator<long[]> steps = plan.iterator();
        int errno = 0;
        while (ops.hasNext()) {
            final Operation o = ops.next();
            final long[] step = steps.next();
            if (o == op && --step[0] == 0) {
                ops.remove();
                steps.remove();
                if (errno == 0) {
                    errno = (int) step[1];
                }
            }
        }
        return errno;
    }

    private long newRange(final long bytes, final long alignment) {
        final long start = (nextAddress + alignment - 1) & -alignment;
        // Leave a guard page between ranges so that neighbours never merge by accident.
        nextAddress = start + bytes + pageSize;
        return start;
    }

    private void setProtection(final long start, final long bytes, final int code) {
        final long end = start + bytes;
        setLocked(start, end, false);
        final long mappedBefore = bytes - kernel.bytesWith(start, end, RangeStates.ABSENT);
        committedBytes -= kernel.bytesWith(start, end, READ_WRITE);
        reservedBytes -= mappedBefore;
        kernel.assign(start, end, code);
        if (code != RangeStates.ABSENT) {
            reservedBytes += bytes;
        }
        if (code == READ_WRITE) {
            committedBytes += bytes;
        }
    }

    private void setLocked(final long start, final long end, final boolean locked) {
        lockedBytes -= locks.bytesWith(start, end, LOCKED);
        locks.assign(start, end, locked ? LOCKED : RangeStates.ABSENT);
        lockedBytes += locked ? end - start : 0;
    }

    /** The simulated {@code sys*OS} functions. */
    private final class Port implements Backend {
        @Override
        public String name() {
            return "simulated";
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
            return needZeroAfterUnused;
        }

        @Override
        public String errnoName(final int errno) {
            return Errno.name(errno);
        }

        @Override
        public long reserve(final long bytes) {
            return reserveAligned(bytes, pageSize);
        }

        @Override
        public long reserveAligned(final long bytes, final long alignment) {
            synchronized (SimulatedKernel.this) {
                final int errno = injected(Operation.RESERVE);
                if (errno != 0) {
                    return -errno;
                }
                if (bytes > addressSpaceLimit - reservedBytes) {
                    return -Errno.ENOMEM;
                }
                final long p = newRange(bytes, alignment);
                setProtection(p, bytes, PROT_NONE);
                return p;
            }
        }

        @Override
        public int map(final long address, final long bytes) {
            synchronized (SimulatedKernel.this) {
                final int errno = injected(Operation.MAP);
                if (errno != 0) {
                    return -errno;
                }
                final long extra = bytes - kernel.bytesWith(address, address + bytes, READ_WRITE);
                if (extra > commitLimit - committedBytes) {
                    return -Errno.ENOMEM;
                }
                setProtection(address, bytes, READ_WRITE);
                return 0;
            }
        }

        @Override
        public int used(final long address, final long bytes) {
            return simple(Operation.USED);
        }

        @Override
        public int unused(final long address, final long bytes) {
            synchronized (SimulatedKernel.this) {
                final int errno = injected(Operation.UNUSED);
                if (errno != 0) {
                    return -errno;
                }
                // Linux refuses MADV_DONTNEED over locked pages.
                return locks.bytesWith(address, address + bytes, LOCKED) != 0 ? -Errno.EINVAL : 0;
            }
        }

        @Override
        public int lock(final long address, final long bytes) {
            synchronized (SimulatedKernel.this) {
                final int errno = injected(Operation.LOCK);
                if (errno != 0) {
                    return -errno;
                }
                final long end = address + bytes;
                if (kernel.bytesWith(address, end, READ_WRITE) != bytes) {
                    return -Errno.ENOMEM; // mlock of memory that is not mapped
                }
                final long extra = bytes - locks.bytesWith(address, end, LOCKED);
                if (extra > lockLimit - lockedBytes) {
                    return -Errno.ENOMEM; // over RLIMIT_MEMLOCK, as for a process without CAP_IPC_LOCK
                }
                setLocked(address, end, true);
                return 0;
            }
        }

        @Override
        public int unlock(final long address, final long bytes) {
            synchronized (SimulatedKernel.this) {
                final int errno = injected(Operation.UNLOCK);
                if (errno != 0) {
                    return -errno;
                }
                setLocked(address, address + bytes, false);
                return 0;
            }
        }

        @Override
        public String lockRefusal(final int errno) {
            return errno == Errno.ENOMEM || errno == Errno.EPERM || errno == Errno.EAGAIN
                    ? Backend.memlockAdvice(lockLimit) : null;
        }

        @Override
        public int fault(final long address, final long bytes) {
            synchronized (SimulatedKernel.this) {
                final int errno = injected(Operation.FAULT);
                if (errno != 0) {
                    return -errno;
                }
                setProtection(address, bytes, PROT_NONE);
                return 0;
            }
        }

        @Override
        public int free(final long address, final long bytes) {
            synchronized (SimulatedKernel.this) {
                final int errno = injected(Operation.FREE);
                if (errno != 0) {
                    return -errno;
                }
                setProtection(address, bytes, RangeStates.ABSENT);
                return 0;
            }
        }

        @Override
        public long alloc(final long bytes) {
            synchronized (SimulatedKernel.this) {
                final int errno = injected(Operation.ALLOC);
                if (errno != 0) {
                    return -errno;
                }
                if (bytes > addressSpaceLimit - reservedBytes || bytes > commitLimit - committedBytes) {
                    return -Errno.ENOMEM;
                }
                final long p = newRange(bytes, pageSize);
                setProtection(p, bytes, READ_WRITE);
                return p;
            }
        }

        @Override
        public void hugePage(final long address, final long bytes) {
            hint(Operation.HUGE_PAGE);
        }

        @Override
        public void noHugePage(final long address, final long bytes) {
            hint(Operation.NO_HUGE_PAGE);
        }

        @Override
        public void hugePageCollapse(final long address, final long bytes) {
            hint(Operation.HUGE_PAGE_COLLAPSE);
        }

        private int simple(final Operation op) {
            synchronized (SimulatedKernel.this) {
                return -injected(op);
            }
        }

        /**
         * A hint changes nothing in the model; a failure planned for it fires here and is dropped, as the Linux
         * port drops the result of its {@code madvise}.
         */
        private void hint(final Operation op) {
            synchronized (SimulatedKernel.this) {
                injected(op);
            }
        }
    }
}
