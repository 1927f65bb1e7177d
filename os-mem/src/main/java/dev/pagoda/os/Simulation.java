package dev.pagoda.os;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A simulated kernel for {@link OsMemory#simulated(Simulation)}: fake address space, per-page protections,
 * limits, and a plan of injected failures. The allocator's tests and the property tests stand on it, on
 * any OS, and use it to provoke the failures a real kernel rarely gives on demand.
 *
 * <p>Addresses it hands out are plausible, page-aligned and never reused, but <b>no memory backs them</b>:
 * they must never be dereferenced. The model tracks what a kernel would: which pages are mapped and with
 * which protection ({@link #protectionOf}), how much address space is reserved and how much memory is
 * committed (read/write mapped), and refuses with {@code ENOMEM} beyond the
 * {@linkplain Builder#addressSpaceLimit address-space} or {@linkplain Builder#commitLimit commit} limit.
 *
 * <p>Failures are injected per {@link Operation}: {@link #failNth(Operation, long, int)} makes the
 * {@code n}-th next call of that operation fail with the given {@code errno}, leaving the state unchanged,
 * exactly as a failing system call does. A failure injected into a huge-page hint ({@link Operation#HUGE_PAGE},
 * {@link Operation#NO_HUGE_PAGE}, {@link Operation#HUGE_PAGE_COLLAPSE}) fires and counts as a call but is
 * ignored, as the real ports ignore a failing {@code madvise} hint: the hint returns normally and changes
 * nothing; {@link #pendingFailures()} tells that it fired. A simulation is one process's worth of kernel: several
 * {@code OsMemory} instances over the same simulation share its address space and limits. All methods are
 * thread-safe.
 *
 * {@snippet :
 * Simulation kernel = Simulation.builder().commitLimit(64L << 20).build();
 * OsMemory os = OsMemory.simulated(kernel);
 * long base = os.reserve(1L << 30);
 * kernel.failNth(Operation.MAP, 1, 12);   // the next map fails with ENOMEM
 * }
 */
public final class Simulation {
    /** What a page of the simulated address space is mapped as. */
    public enum Protection {
        /** Not mapped at all. */
        UNMAPPED,
        /** Mapped {@code PROT_NONE}: reserved or faulted. */
        NONE,
        /** Mapped read/write and committed. */
        READ_WRITE
    }

    /** The largest error number a Linux system call returns ({@code MAX_ERRNO}). */
    private static final int MAX_ERRNO = 4095;
    private static final int NONE_CODE = 1;
    private static final int RW_CODE = 2;

    private final long pageSize;
    private final long hugePageSize;
    private final boolean needZeroAfterUnused;
    private final long addressSpaceLimit;
    private final long commitLimit;

    private final RangeStates kernel = new RangeStates();
    private final Map<Operation, Long> calls = new EnumMap<>(Operation.class);
    private final List<long[]> plan = new ArrayList<>();
    private final List<Operation> planOps = new ArrayList<>();
    private long nextAddress;
    private long reservedBytes;
    private long committedBytes;

    private Simulation(final Builder b) {
        this.pageSize = b.pageSize;
        this.hugePageSize = b.hugePageSize;
        this.needZeroAfterUnused = b.needZeroAfterUnused;
        this.addressSpaceLimit = b.addressSpaceLimit;
        this.commitLimit = b.commitLimit;
        this.nextAddress = b.baseAddress;
    }

    /**
     * A builder with the defaults: 4 KiB pages, 2 MiB huge pages, released memory reads back as zero
     * (as with {@code MADV_DONTNEED}), 64 TiB of address space, no commit limit.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Makes the {@code nth} next call of {@code operation} fail with {@code errno} (1 = the very next one).
     * Several failures may be planned at once; each fires once. A failing hint is ignored, as by the real
     * ports: it fires, but the hint returns normally (see the class documentation).
     *
     * @param operation the operation to fail
     * @param nth       which of the coming calls fails, counting from 1
     * @param errno     the error number it reports, in Linux numbering, e.g. 12 for {@code ENOMEM}; between 1
     *                  and 4095, Linux's {@code MAX_ERRNO}
     * @throws NullPointerException     if {@code operation} is null
     * @throws IllegalArgumentException if {@code nth} is less than 1 or {@code errno} is not between 1 and 4095
     */
    public synchronized void failNth(final Operation operation, final long nth, final int errno) {
        Objects.requireNonNull(operation, "operation");
        if (nth < 1) {
            throw new IllegalArgumentException("nth must be at least 1: nth=" + nth);
        }
        if (errno < 1 || errno > MAX_ERRNO) {
            throw new IllegalArgumentException("errno must be between 1 and " + MAX_ERRNO
                    + " (Linux's MAX_ERRNO): errno=" + errno);
        }
        planOps.add(operation);
        plan.add(new long[] {nth, errno});
    }

    /** Forgets every planned failure that has not fired yet. */
    public synchronized void clearFailures() {
        planOps.clear();
        plan.clear();
    }

    /**
     * How many planned failures have not fired yet: a test can tell that an injected failure did reach the
     * kernel, even one the layer ignores (a hint's).
     *
     * @return the number of failures planned with {@link #failNth} that have neither fired nor been cleared
     */
    public synchronized int pendingFailures() {
        return plan.size();
    }

    /**
     * How many times the simulated kernel was asked to perform {@code operation}, failed calls included.
     *
     * @param operation the operation
     * @return the number of calls so far
     * @throws NullPointerException if {@code operation} is null
     */
    public synchronized long calls(final Operation operation) {
        Objects.requireNonNull(operation, "operation");
        return calls.getOrDefault(operation, 0L);
    }

    /**
     * How the page containing {@code address} is mapped.
     *
     * @param address any address
     * @return its protection, {@link Protection#UNMAPPED} if the simulation never mapped it
     */
    public synchronized Protection protectionOf(final long address) {
        return switch (kernel.codeAt(address)) {
            case NONE_CODE -> Protection.NONE;
            case RW_CODE -> Protection.READ_WRITE;
            default -> Protection.UNMAPPED;
        };
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

    /** The {@link Backend} through which an {@code OsMemory} drives this simulation. */
    Backend backend() {
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
        final long mappedBefore = bytes - kernel.bytesWith(start, end, RangeStates.ABSENT);
        committedBytes -= kernel.bytesWith(start, end, RW_CODE);
        reservedBytes -= mappedBefore;
        kernel.assign(start, end, code);
        if (code != RangeStates.ABSENT) {
            reservedBytes += bytes;
        }
        if (code == RW_CODE) {
            committedBytes += bytes;
        }
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
            synchronized (Simulation.this) {
                final int errno = injected(Operation.RESERVE);
                if (errno != 0) {
                    return -errno;
                }
                if (bytes > addressSpaceLimit - reservedBytes) {
                    return -Errno.ENOMEM;
                }
                final long p = newRange(bytes, alignment);
                setProtection(p, bytes, NONE_CODE);
                return p;
            }
        }

        @Override
        public int map(final long address, final long bytes) {
            synchronized (Simulation.this) {
                final int errno = injected(Operation.MAP);
                if (errno != 0) {
                    return -errno;
                }
                final long extra = bytes - kernel.bytesWith(address, address + bytes, RW_CODE);
                if (extra > commitLimit - committedBytes) {
                    return -Errno.ENOMEM;
                }
                setProtection(address, bytes, RW_CODE);
                return 0;
            }
        }

        @Override
        public int used(final long address, final long bytes) {
            return simple(Operation.USED);
        }

        @Override
        public int unused(final long address, final long bytes) {
            return simple(Operation.UNUSED);
        }

        @Override
        public int fault(final long address, final long bytes) {
            synchronized (Simulation.this) {
                final int errno = injected(Operation.FAULT);
                if (errno != 0) {
                    return -errno;
                }
                setProtection(address, bytes, NONE_CODE);
                return 0;
            }
        }

        @Override
        public int free(final long address, final long bytes) {
            synchronized (Simulation.this) {
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
            synchronized (Simulation.this) {
                final int errno = injected(Operation.ALLOC);
                if (errno != 0) {
                    return -errno;
                }
                if (bytes > addressSpaceLimit - reservedBytes || bytes > commitLimit - committedBytes) {
                    return -Errno.ENOMEM;
                }
                final long p = newRange(bytes, pageSize);
                setProtection(p, bytes, RW_CODE);
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
            synchronized (Simulation.this) {
                return -injected(op);
            }
        }

        /**
         * A hint changes nothing in the model; a failure planned for it fires here and is dropped, as the Linux
         * port drops the result of its {@code madvise}.
         */
        private void hint(final Operation op) {
            synchronized (Simulation.this) {
                injected(op);
            }
        }
    }

    /** Configures a {@link Simulation}. */
    public static final class Builder {
        private long pageSize = 4096;
        private long hugePageSize = 2L << 20;
        private boolean needZeroAfterUnused;
        private long addressSpaceLimit = 1L << 46;
        private long commitLimit = Long.MAX_VALUE;
        private long baseAddress = 1L << 40;

        private Builder() {
        }

        /**
         * The simulated OS page size.
         *
         * @param bytes a power of two of at least 512
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not a power of two of at least 512
         */
        public Builder pageSize(final long bytes) {
            if (bytes < 512 || Long.bitCount(bytes) != 1) {
                throw new IllegalArgumentException("pageSize must be a power of two of at least 512: pageSize="
                        + bytes);
            }
            this.pageSize = bytes;
            return this;
        }

        /**
         * The simulated transparent huge page size.
         *
         * @param bytes 0 for none, else a power of two
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative or not a power of two
         */
        public Builder hugePageSize(final long bytes) {
            if (bytes < 0 || (bytes != 0 && Long.bitCount(bytes) != 1)) {
                throw new IllegalArgumentException("hugePageSize must be 0 or a power of two: hugePageSize="
                        + bytes);
            }
            this.hugePageSize = bytes;
            return this;
        }

        /**
         * Whether released memory may read back with old contents, as with Linux {@code MADV_FREE} or Darwin.
         *
         * @param needZero true to model a port whose released memory needs zeroing
         * @return this builder
         */
        public Builder needZeroAfterUnused(final boolean needZero) {
            this.needZeroAfterUnused = needZero;
            return this;
        }

        /**
         * The most address space that may be mapped at once; beyond it reserve and alloc fail with
         * {@code ENOMEM}.
         *
         * @param bytes a positive number of bytes
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder addressSpaceLimit(final long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("addressSpaceLimit must be positive: addressSpaceLimit=" + bytes);
            }
            this.addressSpaceLimit = bytes;
            return this;
        }

        /**
         * The most memory that may be mapped read/write at once; beyond it map and alloc fail with
         * {@code ENOMEM}, as under strict overcommit.
         *
         * @param bytes a non-negative number of bytes
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative
         */
        public Builder commitLimit(final long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("commitLimit must not be negative: commitLimit=" + bytes);
            }
            this.commitLimit = bytes;
            return this;
        }

        /**
         * Creates the simulation.
         *
         * @return a new simulated kernel with nothing mapped
         * @throws IllegalArgumentException if the huge page size is neither 0 nor at least the page size
         */
        public Simulation build() {
            if (hugePageSize != 0 && hugePageSize < pageSize) {
                throw new IllegalArgumentException("hugePageSize must be 0 or at least pageSize " + pageSize
                        + ": hugePageSize=" + hugePageSize);
            }
            return new Simulation(this);
        }
    }
}
