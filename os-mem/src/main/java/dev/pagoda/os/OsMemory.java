package dev.pagoda.os;

import dev.pagoda.os.libc.Errno;
import dev.pagoda.os.port.Backend;
import dev.pagoda.os.port.DarwinBackend;
import dev.pagoda.os.port.LinuxBackend;
import dev.pagoda.os.port.NativeSyscalls;
import dev.pagoda.os.port.RangeStates;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The OS-memory layer: Go's {@code sys*} functions, each moving a range of pages through exactly one
 * transition of the four-state machine {@link MemState#NONE None} → {@link MemState#RESERVED Reserved} →
 * {@link MemState#PREPARED Prepared} → {@link MemState#READY Ready} (see the {@linkplain dev.pagoda.os package
 * documentation} for the diagram).
 *
 * <p><b>Contract of every range operation.</b> {@code address} and {@code bytes} must be multiples of
 * {@link #pageSize()}, {@code bytes} positive and {@code address + bytes} must not overflow; otherwise an
 * {@link IllegalArgumentException} names the argument and the rule, before any system call. Every page of
 * the range must then be in a state the transition starts from, and owned by this instance; otherwise an
 * {@link IllegalStateException} names the first offending sub-range and its state, again before any system
 * call, so memory this instance did not reserve is never touched. If the system call fails, an
 * {@link OsMemoryException} ({@link OsOutOfMemoryException} for {@code ENOMEM}) carries the operation, range
 * and errno, and every page keeps its state. Only when the call succeeds do the pages change state and the
 * {@linkplain #stats() counters} move. The huge-page hints are the exception: their kernel errors are
 * ignored, as in Go, so a hint never throws an {@link OsMemoryException} (the simulated port ignores an injected
 * failure the same way).
 *
 * <p><b>Threads.</b> All methods are thread-safe. System calls run outside the instance's lock; while one is
 * in flight its range is marked busy, and a concurrent transition on an overlapping range fails with an
 * {@link IllegalStateException} rather than racing it. Calls on disjoint ranges proceed in parallel. The
 * huge-page hints change no state: they neither mark their range busy nor are refused by a transition in
 * flight, so a hint may overlap a {@code used} or {@code unused} of the same pages.
 *
 * {@snippet :
 * OsMemory os = OsMemory.system();
 * long arena = os.reserveAligned(64L << 20, 64L << 20);   // None -> Reserved, 64 MiB aligned
 * os.map(arena, 64L << 20);                               // Reserved -> Prepared
 * os.used(arena, 1L << 20);                               // Prepared -> Ready: the first MiB may be touched
 * // ... use the memory ...
 * os.unused(arena, 1L << 20);                             // Ready -> Prepared: RSS drops, reads back zero
 * os.free(arena, 64L << 20);                              // -> None
 * }
 */
public final class OsMemory {
    private static final int M_RESERVED = 1 << MemState.RESERVED.ordinal();
    private static final int M_PREPARED = 1 << MemState.PREPARED.ordinal();
    private static final int M_READY = 1 << MemState.READY.ordinal();
    private static final int M_OWNED = M_RESERVED | M_PREPARED | M_READY;
    /** The code of a locked page in {@link #locks}. */
    private static final int LOCKED = 1;

    private final Backend backend;
    private final long pageSize;
    /** Page states of everything this instance owns; guarded by itself, together with {@link #bytes}. */
    private final RangeStates states = new RangeStates();
    /** Bytes per state, indexed by {@link MemState#ordinal()}; ranges in flight count in their old state. */
    private final long[] bytes = new long[MemState.values().length];
    /** The pages {@link #lock} locked (code {@link #LOCKED}); guarded by {@link #states}, with {@link #lockedBytes}. */
    private final RangeStates locks = new RangeStates();
    private long lockedBytes;

    private OsMemory(final Backend backend) {
        this.backend = backend;
        this.pageSize = backend.pageSize();
    }

    /**
     * The port for the running OS with {@linkplain SystemOptions#defaults() default options}. Each call returns
     * a new instance that owns only what it reserves itself.
     *
     * @return a new layer over the real kernel
     * @throws UnsupportedOperationException if the OS is neither Linux nor macOS
     */
    public static OsMemory system() {
        return system(SystemOptions.defaults());
    }

    /**
     * The port for the running OS: Linux ({@code mem_linux.go}) or macOS ({@code mem_darwin.go}).
     *
     * @param options release advice, huge-page policy and mapping names
     * @return a new layer over the real kernel that owns only what it reserves itself
     * @throws UnsupportedOperationException if the OS is neither Linux nor macOS
     */
    public static OsMemory system(final SystemOptions options) {
        Objects.requireNonNull(options, "options");
        final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        final Platform platform = Platform.current();
        if (os.startsWith("linux")) {
            return new OsMemory(new LinuxBackend(NativeSyscalls.INSTANCE, platform.pageSize(),
                    platform.hugePageSize(), options));
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return new OsMemory(new DarwinBackend(NativeSyscalls.INSTANCE, platform.pageSize()));
        }
        throw new UnsupportedOperationException("Pagoda's OS-memory layer supports Linux and macOS, not " + os);
    }

    /**
     * A layer over a fresh {@linkplain Simulation simulated kernel} with the default configuration.
     *
     * @return a new simulated layer; its addresses must never be dereferenced
     */
    public static OsMemory simulated() {
        return simulated(Simulation.builder().build());
    }

    /**
     * A layer over a {@linkplain Simulation simulated kernel}: the same state machine, checks and accounting
     * as {@link #system()}, with fake addresses, configurable limits and injectable failures.
     *
     * @param simulation the simulated kernel to drive
     * @return a new simulated layer; its addresses must never be dereferenced
     * @throws NullPointerException if {@code simulation} is null
     */
    public static OsMemory simulated(final Simulation simulation) {
        Objects.requireNonNull(simulation, "simulation");
        return new OsMemory(simulation.backend());
    }

    /** A layer over any backend: the recording fakes of the tests use this. */
    static OsMemory over(final Backend backend) {
        return new OsMemory(backend);
    }

    /**
     * Reserves address space: <b>None → Reserved</b> (Go's {@code sysReserve}). The range is owned but every
     * access faults, and it counts against address space only, never against memory. The OS picks the
     * address; it is aligned to the page size only.
     *
     * @param bytes the size, a positive multiple of {@link #pageSize()}
     * @return the start of the reserved range
     * @throws IllegalArgumentException if {@code bytes} is not a positive multiple of the page size
     * @throws OsOutOfMemoryException   if the OS has no address space left ({@code ENOMEM})
     * @throws OsMemoryException        if the system call fails otherwise
     */
    public long reserve(final long bytes) {
        checkLength("bytes", bytes);
        return recordNew(Operation.RESERVE, backend.reserve(bytes), bytes, MemState.RESERVED);
    }

    /**
     * Reserves address space aligned to {@code alignment}: <b>None → Reserved</b>. Like Go's heap arenas it
     * over-reserves by the alignment and gives back the unaligned head and tail.
     *
     * @param bytes     the size, a positive multiple of {@link #pageSize()}
     * @param alignment a power of two, at least the page size
     * @return the start of the reserved range, a multiple of {@code alignment}
     * @throws IllegalArgumentException if {@code bytes} is not a positive multiple of the page size, or
     *                                  {@code alignment} is not a power of two of at least the page size, or
     *                                  {@code bytes + alignment} overflows
     * @throws OsOutOfMemoryException   if the OS has no address space left ({@code ENOMEM})
     * @throws OsMemoryException        if a system call fails otherwise
     */
    public long reserveAligned(final long bytes, final long alignment) {
        checkLength("bytes", bytes);
        if (alignment < pageSize || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two of at least the page size "
                    + pageSize + ": alignment=" + alignment);
        }
        if (bytes > Long.MAX_VALUE - alignment) {
            throw new IllegalArgumentException("bytes + alignment must not overflow: bytes=" + bytes
                    + ", alignment=" + alignment);
        }
        final long p = alignment == pageSize ? backend.reserve(bytes) : backend.reserveAligned(bytes, alignment);
        return recordNew(Operation.RESERVE, p, bytes, MemState.RESERVED);
    }

    /**
     * Maps reserved memory: <b>Reserved → Prepared</b> (Go's {@code sysMap}). Afterwards the range can become
     * Ready cheaply; on Linux this is a read/write {@code MAP_FIXED} mapping over the reservation, and it is
     * where the kernel charges the commit limit, so it is where {@code ENOMEM} appears under strict overcommit.
     *
     * @param address the start of the range, page aligned
     * @param bytes   the size, a positive multiple of the page size
     * @throws IllegalArgumentException if the range is not page aligned, empty or overflows
     * @throws IllegalStateException    if a page of the range is not Reserved (or not owned by this instance)
     * @throws OsOutOfMemoryException   if the kernel refuses the memory ({@code ENOMEM}); the range stays Reserved
     * @throws OsMemoryException        if the system call fails otherwise; the range stays Reserved
     */
    public void map(final long address, final long bytes) {
        transition(Operation.MAP, address, bytes, M_RESERVED, MemState.PREPARED);
    }

    /**
     * Makes memory usable: <b>Prepared → Ready</b> (Go's {@code sysUsed}). Idempotent: the range may mix
     * Prepared and Ready pages, and the layer itself knows how many bytes were Prepared, so the accounting is
     * exact. A no-op system-wise on Linux (the first touch faults pages in); {@code MADV_FREE_REUSE} on Darwin.
     * Whether the memory reads as zero depends on its history; see {@link #needZeroAfterUnused()}.
     *
     * @param address the start of the range, page aligned
     * @param bytes   the size, a positive multiple of the page size
     * @throws IllegalArgumentException if the range is not page aligned, empty or overflows
     * @throws IllegalStateException    if a page of the range is neither Prepared nor Ready
     * @throws OsMemoryException        if the system call fails; every page keeps its state
     */
    public void used(final long address, final long bytes) {
        transition(Operation.USED, address, bytes, M_PREPARED | M_READY, MemState.READY);
    }

    /**
     * Gives memory back to the OS: <b>Ready → Prepared</b> (Go's {@code sysUnused}). The contents are forfeit;
     * the range must not be accessed until {@link #used} is called again. On Linux {@code MADV_DONTNEED} (the
     * default) drops the pages from RSS at once and they read back as zeros; with {@code MADV_FREE} or on
     * Darwin they may come back with old contents ({@link #needZeroAfterUnused()}).
     *
     * @param address the start of the range, page aligned
     * @param bytes   the size, a positive multiple of the page size
     * @throws IllegalArgumentException if the range is not page aligned, empty or overflows
     * @throws IllegalStateException    if a page of the range is not Ready, or is {@linkplain #lock locked}
     * @throws OsMemoryException        if every release method failed; the range stays Ready
     */
    public void unused(final long address, final long bytes) {
        transition(Operation.UNUSED, address, bytes, M_READY, MemState.PREPARED);
    }

    /**
     * Makes memory fault on any access: <b>Ready or Prepared → Reserved</b> (Go's {@code sysFault}), for guard
     * pages and for catching use after free. The pages are also dropped from RSS. Linux:
     * {@code mprotect(PROT_NONE)} then {@code MADV_DONTNEED}; Darwin: a {@code PROT_NONE MAP_FIXED} mapping.
     * {@link #map} makes the range usable again.
     *
     * @param address the start of the range, page aligned
     * @param bytes   the size, a positive multiple of the page size
     * @throws IllegalArgumentException if the range is not page aligned, empty or overflows
     * @throws IllegalStateException    if a page of the range is neither Ready nor Prepared, or is
     *                                  {@linkplain #lock locked}
     * @throws OsMemoryException        if the protection change fails; every page keeps its state
     */
    public void fault(final long address, final long bytes) {
        transition(Operation.FAULT, address, bytes, M_PREPARED | M_READY, MemState.RESERVED);
    }

    /**
     * Returns address space to the OS: <b>Reserved, Prepared or Ready → None</b> (Go's {@code sysFree}),
     * with {@code munmap}. The range may mix those states; it may be part of a larger reservation. Locked pages
     * are unlocked by it.
     *
     * @param address the start of the range, page aligned
     * @param bytes   the size, a positive multiple of the page size
     * @throws IllegalArgumentException if the range is not page aligned, empty or overflows
     * @throws IllegalStateException    if a page of the range is not owned by this instance
     * @throws OsOutOfMemoryException   if splitting a mapping would exceed {@code vm.max_map_count}
     * @throws OsMemoryException        if the system call fails otherwise; every page keeps its state
     */
    public void free(final long address, final long bytes) {
        transition(Operation.FREE, address, bytes, M_OWNED, MemState.NONE);
    }

    /**
     * Allocates ready memory directly: <b>None → Ready</b> (Go's {@code sysAlloc}), for metadata and other
     * memory that is never given back piecemeal. The OS picks the address; the memory reads as zeros.
     *
     * @param bytes the size, a positive multiple of {@link #pageSize()}
     * @return the start of the new range
     * @throws IllegalArgumentException if {@code bytes} is not a positive multiple of the page size
     * @throws OsOutOfMemoryException   if the kernel refuses the memory ({@code ENOMEM})
     * @throws OsMemoryException        if the system call fails otherwise
     */
    public long alloc(final long bytes) {
        checkLength("bytes", bytes);
        return recordNew(Operation.ALLOC, backend.alloc(bytes), bytes, MemState.READY);
    }

    /**
     * Hints that the range should be backed by huge pages (Go's {@code sysHugePage}); <b>no state
     * change</b>. Linux: {@code MADV_HUGEPAGE} over the range rounded inward to huge-page bounds, nothing if it
     * holds no whole huge page; no-op on Darwin. Kernel errors are ignored, as in Go. Note Go's experience
     * (golang/go#61718): {@code MADV_HUGEPAGE} can make faults stall in direct compaction.
     *
     * @param address the start of the range, page aligned
     * @param bytes   the size, a positive multiple of the page size
     * @throws IllegalArgumentException if the range is not page aligned, empty or overflows
     * @throws IllegalStateException    if a page of the range is neither Prepared nor Ready
     */
    public void hugePage(final long address, final long bytes) {
        transition(Operation.HUGE_PAGE, address, bytes, M_PREPARED | M_READY, null);
    }

    /**
     * Hints that the range should not be backed by huge pages (Go's {@code sysNoHugePage}); <b>no state
     * change</b>. Linux: {@code MADV_NOHUGEPAGE}; no-op on Darwin. Kernel errors are ignored.
     *
     * @param address the start of the range, page aligned
     * @param bytes   the size, a positive multiple of the page size
     * @throws IllegalArgumentException if the range is not page aligned, empty or overflows
     * @throws IllegalStateException    if a page of the range is neither Prepared nor Ready
     */
    public void noHugePage(final long address, final long bytes) {
        transition(Operation.NO_HUGE_PAGE, address, bytes, M_PREPARED | M_READY, null);
    }

    /**
     * Asks the kernel to back the range with huge pages now (Go's {@code sysHugePageCollapse}); <b>no state
     * change</b>, best effort. Linux 6.1+: {@code MADV_COLLAPSE}, which may block in direct reclaim, so never
     * call it while holding a lock others wait on (golang/go#63334); its errors are ignored. No-op on Darwin.
     *
     * @param address the start of the range, page aligned
     * @param bytes   the size, a positive multiple of the page size
     * @throws IllegalArgumentException if the range is not page aligned, empty or overflows
     * @throws IllegalStateException    if a page of the range is neither Prepared nor Ready
     */
    public void hugePageCollapse(final long address, final long bytes) {
        transition(Operation.HUGE_PAGE_COLLAPSE, address, bytes, M_PREPARED | M_READY, null);
    }

    /**
     * Locks the range's pages in physical memory ({@code mlock}); <b>no state change</b>: the pages stay Ready, and
     * stay resident until {@link #unlock}ed or {@linkplain #free freed}. Unlike the huge-page hints this is a
     * promise, not advice, so a refusal is reported: the kernel limits what a process may lock
     * ({@code RLIMIT_MEMLOCK}, {@code ulimit -l}; 8 MiB by default on Linux) unless it holds {@code CAP_IPC_LOCK}.
     * While locked, the pages refuse {@link #unused} and {@link #fault} (the kernel will not drop locked pages);
     * {@link #free} unlocks them. Locking pages already locked changes nothing. The range is busy while the call
     * is in flight, as for a transition.
     *
     * @param address the start of the range, page aligned
     * @param bytes   the size, a positive multiple of the page size
     * @throws IllegalArgumentException if the range is not page aligned, empty or overflows
     * @throws IllegalStateException    if a page of the range is not Ready
     * @throws OsMemoryException        if the kernel refuses; when it is the locked-memory limit ({@code EPERM},
     *                                  {@code ENOMEM}, {@code EAGAIN}), the message names {@code RLIMIT_MEMLOCK}
     *                                  and {@code ulimit -l} and gives the limit in force. Nothing is locked then.
     */
    public void lock(final long address, final long bytes) {
        transition(Operation.LOCK, address, bytes, M_READY, MemState.READY);
    }

    /**
     * Unlocks the range's pages ({@code munlock}); <b>no state change</b>: they stay Ready, and the kernel may page
     * them out again. Pages that are not locked are left as they are.
     *
     * @param address the start of the range, page aligned
     * @param bytes   the size, a positive multiple of the page size
     * @throws IllegalArgumentException if the range is not page aligned, empty or overflows
     * @throws IllegalStateException    if a page of the range is not Ready
     * @throws OsMemoryException        if the system call fails; the pages keep their locks
     */
    public void unlock(final long address, final long bytes) {
        transition(Operation.UNLOCK, address, bytes, M_READY, MemState.READY);
    }

    /**
     * Bytes this instance holds {@linkplain #lock locked} now.
     *
     * @return the locked bytes, a part of the Ready bytes
     */
    public long lockedBytes() {
        synchronized (states) {
            return lockedBytes;
        }
    }

    /**
     * A consistent snapshot of the bytes held in each state.
     *
     * @return the counters
     */
    public OsMemoryStats stats() {
        synchronized (states) {
            return new OsMemoryStats(bytes[MemState.RESERVED.ordinal()], bytes[MemState.PREPARED.ordinal()],
                    bytes[MemState.READY.ordinal()]);
        }
    }

    /**
     * The state of the page containing {@code address}, as this instance knows it. A page with a system call
     * in flight reports the state it is leaving until the call succeeds.
     *
     * @param address any address
     * @return the page's state; {@link MemState#NONE} for memory this instance does not own
     */
    public MemState stateOf(final long address) {
        synchronized (states) {
            return MemState.values()[states.codeAt(address) & ~RangeStates.BUSY];
        }
    }

    /**
     * How many bytes of {@code [address, address + bytes)} are in {@code state}.
     *
     * @param address the start of the range, page aligned
     * @param bytes   the size, a positive multiple of the page size
     * @param state   the state to count
     * @return the number of bytes of the range in that state
     * @throws IllegalArgumentException if the range is not page aligned, empty or overflows
     */
    public long bytesIn(final long address, final long bytes, final MemState state) {
        checkRange(address, bytes);
        Objects.requireNonNull(state, "state");
        synchronized (states) {
            return states.bytesWith(address, address + bytes, state.ordinal());
        }
    }

    /**
     * The OS page size: every address and length passed to this layer is a multiple of it.
     *
     * @return the page size in bytes
     */
    public long pageSize() {
        return pageSize;
    }

    /**
     * The transparent huge page size, or 0 when the OS has none.
     *
     * @return the huge page size in bytes, or 0
     */
    public long hugePageSize() {
        return backend.hugePageSize();
    }

    /**
     * Whether memory given back with {@link #unused} may hold old contents when it is {@link #used} again
     * (Go's {@code needZeroAfterSysUnused}): false on Linux with {@code MADV_DONTNEED}, true with
     * {@code MADV_FREE} and on Darwin. Memory fresh from {@link #map} or {@link #alloc} always reads as zero.
     *
     * @return true if released memory must be zeroed before reuse
     */
    public boolean needZeroAfterUnused() {
        return backend.needZeroAfterUnused();
    }

    /**
     * The port this layer runs on: {@code "linux"}, {@code "darwin"} or {@code "simulated"}.
     *
     * @return the port's name
     */
    public String port() {
        return backend.name();
    }

    @Override
    public String toString() {
        return "OsMemory[" + backend.name() + ", " + stats() + "]";
    }

    // ---------------------------------------------------------------------------------------------------
    // The transition engine.

    private long recordNew(final Operation op, final long p, final long length, final MemState state) {
        if (p < 0) {
            throw failure(op, 0L, length, (int) -p);
        }
        synchronized (states) {
            RangeStates.Run clash;
            while ((clash = states.firstOutside(p, p + length, 1 << RangeStates.ABSENT)) != null) {
                if ((clash.code() & RangeStates.BUSY) == 0) {
                    throw new IllegalStateException(op.goName() + ": the OS returned [" + hex(p) + ", "
                            + hex(p + length) + ") which overlaps " + describe(clash) + " that this layer already "
                            + "owns; something else unmapped memory it did not own");
                }
                // A range the kernel hands out again while we still mark it busy is one another thread is
                // freeing: its munmap has returned, its bookkeeping has not yet. Wait for it (a few µs).
                awaitTransitions();
            }
            states.assign(p, p + length, state.ordinal());
            bytes[state.ordinal()] += length;
        }
        return p;
    }

    /**
     * Checks the range, claims it (every page must be in {@code fromMask}), makes the call without the lock,
     * then commits the new state, or restores the old one if the call failed. {@code to == null} means the
     * pages keep their states (hints).
     */
    private void transition(final Operation op, final long address, final long length, final int fromMask,
                            final MemState to) {
        checkRange(address, length);
        final long end = address + length;
        if (to == null) {
            hint(op, address, length, fromMask);
            return;
        }
        final List<RangeStates.Run> before;
        synchronized (states) {
            final RangeStates.Run bad = states.firstOutside(address, end, fromMask);
            if (bad != null) {
                throw new IllegalStateException(op.goName() + "(" + hex(address) + ", " + length + "): "
                        + describe(bad) + " but the transition needs " + maskNames(fromMask));
            }
            if ((op == Operation.UNUSED || op == Operation.FAULT) && locks.bytesWith(address, end, LOCKED) != 0) {
                final RangeStates.Run locked = locks.firstOutside(address, end, 1 << RangeStates.ABSENT);
                throw new IllegalStateException(op.goName() + "(" + hex(address) + ", " + length + "): ["
                        + hex(locked.start()) + ", " + hex(locked.end()) + ") is locked, and the kernel does not "
                        + "drop locked pages; unlock it first");
            }
            before = states.snapshot(address, end);
            for (final RangeStates.Run r : before) {
                states.assign(r.start(), r.end(), RangeStates.BUSY | r.code());
            }
        }
        int rc = Integer.MIN_VALUE;
        try {
            rc = invoke(op, address, length);
        } finally {
            synchronized (states) {
                states.notifyAll(); // a reserve may be waiting for this range to become free
                if (rc != 0) {
                    states.restore(before);
                } else {
                    for (final RangeStates.Run r : before) {
                        bytes[r.code()] -= r.length();
                    }
                    bytes[to.ordinal()] += to == MemState.NONE ? 0 : length;
                    states.assign(address, end, to.ordinal());
                    if (op == Operation.LOCK || op == Operation.UNLOCK || op == Operation.FREE) {
                        lockedBytes -= locks.bytesWith(address, end, LOCKED);
                        locks.assign(address, end, op == Operation.LOCK ? LOCKED : RangeStates.ABSENT);
                        lockedBytes += op == Operation.LOCK ? length : 0;
                    }
                }
            }
        }
        if (rc < 0) {
            throw failure(op, address, length, -rc);
        }
    }

    /**
     * Waits, holding the states' monitor, until some transition in flight commits. An interrupt does not stop
     * the wait (the kernel has already given us the range, which must be recorded, not leaked); the thread's
     * interrupt status is set again afterwards.
     */
    private void awaitTransitions() {
        boolean interrupted = false;
        try {
            states.wait(1);
        } catch (final InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A hint changes no state, so unlike a transition it neither marks its range busy nor is refused by one in
     * flight: madvise advice racing a {@code used}/{@code unused} of the same pages is harmless to the kernel,
     * and the allocator's scavenger must be able to advise ({@code MADV_COLLAPSE}) a chunk while a thread makes
     * one of its pages Ready. The pages must still be Prepared or Ready (or on their way between the two).
     */
    private void hint(final Operation op, final long address, final long length, final int fromMask) {
        synchronized (states) {
            final RangeStates.Run bad = states.firstOutside(address, address + length,
                    fromMask | fromMask << RangeStates.BUSY);
            if (bad != null) {
                throw new IllegalStateException(op.goName() + "(" + hex(address) + ", " + length + "): "
                        + describe(bad) + " but the hint needs " + maskNames(fromMask));
            }
        }
        // The backends ignore the kernel's answer, as Go does: a hint is advice, and the range stays usable.
        switch (op) {
            case HUGE_PAGE -> backend.hugePage(address, length);
            case NO_HUGE_PAGE -> backend.noHugePage(address, length);
            case HUGE_PAGE_COLLAPSE -> backend.hugePageCollapse(address, length);
            default -> throw new IllegalArgumentException(op + " is not a hint");
        }
    }

    private int invoke(final Operation op, final long address, final long length) {
        return switch (op) {
            case MAP -> backend.map(address, length);
            case USED -> backend.used(address, length);
            case UNUSED -> backend.unused(address, length);
            case FAULT -> backend.fault(address, length);
            case FREE -> backend.free(address, length);
            case LOCK -> backend.lock(address, length);
            case UNLOCK -> backend.unlock(address, length);
            case HUGE_PAGE, NO_HUGE_PAGE, HUGE_PAGE_COLLAPSE, RESERVE, ALLOC ->
                    throw new IllegalArgumentException(op + " is not a range transition");
        };
    }

    private OsMemoryException failure(final Operation op, final long address, final long length, final int errno) {
        if (op == Operation.LOCK) {
            // ENOMEM from mlock is the locked-memory limit (or an unmapped page), not a shortage of memory.
            return new OsMemoryException(op, address, length, errno, backend.errnoName(errno), backend.name(),
                    backend.lockRefusal(errno));
        }
        if (errno == Errno.ENOMEM) {
            return new OsOutOfMemoryException(op, address, length, backend.name());
        }
        return new OsMemoryException(op, address, length, errno, backend.errnoName(errno), backend.name());
    }

    private void checkLength(final String name, final long length) {
        if (length <= 0 || (length & (pageSize - 1)) != 0) {
            throw new IllegalArgumentException(name + " must be a positive multiple of the page size " + pageSize
                    + ": " + name + "=" + length);
        }
    }

    private void checkRange(final long address, final long length) {
        if (address < 0 || (address & (pageSize - 1)) != 0) {
            throw new IllegalArgumentException("address must be a non-negative multiple of the page size "
                    + pageSize + ": address=" + hex(address));
        }
        checkLength("bytes", length);
        if (address > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException("address + bytes must not overflow: address=" + hex(address)
                    + ", bytes=" + length);
        }
    }

    private static String describe(final RangeStates.Run run) {
        final String what = (run.code() & RangeStates.BUSY) != 0
                ? MemState.values()[run.code() & ~RangeStates.BUSY] + " with a call in flight in another thread"
                : run.code() == RangeStates.ABSENT ? "NONE (not owned by this OsMemory)"
                : MemState.values()[run.code()].name();
        return "[" + hex(run.start()) + ", " + hex(run.end()) + ") is " + what;
    }

    private static String maskNames(final int mask) {
        final StringBuilder sb = new StringBuilder();
        for (final MemState s : MemState.values()) {
            if ((mask & (1 << s.ordinal())) != 0) {
                sb.append(sb.isEmpty() ? "" : " or ").append(s.name());
            }
        }
        return sb.toString();
    }

    private static String hex(final long value) {
        return "0x" + Long.toHexString(value);
    }
}
