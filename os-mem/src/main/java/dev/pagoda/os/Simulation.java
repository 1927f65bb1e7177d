package dev.pagoda.os;

import dev.pagoda.os.port.Backend;
import dev.pagoda.os.port.SimulatedKernel;

import java.util.Objects;

/**
 * A simulated kernel for {@link OsMemory#simulated(Simulation)}: fake address space, per-page protections,
 * limits, and a plan of injected failures. The allocator's tests and the property tests stand on it, on
 * any OS, and use it to provoke the failures a real kernel rarely gives on demand.
 *
 * <p>Addresses it hands out are plausible, page-aligned and never reused, but <b>no memory backs them</b>:
 * they must never be dereferenced. The model tracks what a kernel would: which pages are mapped and with
 * which protection ({@link #protectionOf}), how much address space is reserved, how much memory is
 * committed (read/write mapped) and how much is locked, and refuses with {@code ENOMEM} beyond the
 * {@linkplain Builder#addressSpaceLimit address-space}, {@linkplain Builder#commitLimit commit} or
 * {@linkplain Builder#lockLimit locked-memory} limit, as Linux does for a process without {@code CAP_IPC_LOCK}.
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

    private final SimulatedKernel kernel;

    private Simulation(final Builder b) {
        this.kernel = new SimulatedKernel(b.pageSize, b.hugePageSize, b.needZeroAfterUnused, b.addressSpaceLimit,
                b.commitLimit, b.lockLimit, b.baseAddress);
    }

    /**
     * A builder with the defaults: 4 KiB pages, 2 MiB huge pages, released memory reads back as zero
     * (as with {@code MADV_DONTNEED}), 64 TiB of address space, no commit limit, no locked-memory limit.
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
    public void failNth(final Operation operation, final long nth, final int errno) {
        Objects.requireNonNull(operation, "operation");
        if (nth < 1) {
            throw new IllegalArgumentException("nth must be at least 1: nth=" + nth);
        }
        if (errno < 1 || errno > MAX_ERRNO) {
            throw new IllegalArgumentException("errno must be between 1 and " + MAX_ERRNO
                    + " (Linux's MAX_ERRNO): errno=" + errno);
        }
        kernel.failNth(operation, nth, errno);
    }

    /** Forgets every planned failure that has not fired yet. */
    public void clearFailures() {
        kernel.clearFailures();
    }

    /**
     * How many planned failures have not fired yet: a test can tell that an injected failure did reach the
     * kernel, even one the layer ignores (a hint's).
     *
     * @return the number of failures planned with {@link #failNth} that have neither fired nor been cleared
     */
    public int pendingFailures() {
        return kernel.pendingFailures();
    }

    /**
     * How many times the simulated kernel was asked to perform {@code operation}, failed calls included.
     *
     * @param operation the operation
     * @return the number of calls so far
     * @throws NullPointerException if {@code operation} is null
     */
    public long calls(final Operation operation) {
        Objects.requireNonNull(operation, "operation");
        return kernel.calls(operation);
    }

    /**
     * How the page containing {@code address} is mapped.
     *
     * @param address any address
     * @return its protection, {@link Protection#UNMAPPED} if the simulation never mapped it
     */
    public Protection protectionOf(final long address) {
        return switch (kernel.protectionAt(address)) {
            case SimulatedKernel.PROT_NONE -> Protection.NONE;
            case SimulatedKernel.READ_WRITE -> Protection.READ_WRITE;
            default -> Protection.UNMAPPED;
        };
    }

    /**
     * Bytes of address space currently mapped in any protection.
     *
     * @return the reserved bytes
     */
    public long reservedBytes() {
        return kernel.reservedBytes();
    }

    /**
     * Bytes currently mapped read/write, the simulated commit charge.
     *
     * @return the committed bytes
     */
    public long committedBytes() {
        return kernel.committedBytes();
    }

    /**
     * Bytes currently locked with {@link OsMemory#lock}.
     *
     * @return the locked bytes
     */
    public long lockedBytes() {
        return kernel.lockedBytes();
    }

    /** The {@link Backend} through which an {@code OsMemory} drives this simulation. */
    Backend backend() {
        return kernel.backend();
    }

    /** Configures a {@link Simulation}. */
    public static final class Builder {
        private long pageSize = 4096;
        private long hugePageSize = 2L << 20;
        private boolean needZeroAfterUnused;
        private long addressSpaceLimit = 1L << 46;
        private long commitLimit = Long.MAX_VALUE;
        private long lockLimit = Long.MAX_VALUE;
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
         * The most memory that may be locked at once, the simulated {@code RLIMIT_MEMLOCK}; beyond it
         * {@link OsMemory#lock} fails with {@code ENOMEM}, as on Linux for a process without {@code CAP_IPC_LOCK}.
         * Unlimited by default.
         *
         * @param bytes a non-negative number of bytes
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative
         */
        public Builder lockLimit(final long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("lockLimit must not be negative: lockLimit=" + bytes);
            }
            this.lockLimit = bytes;
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
