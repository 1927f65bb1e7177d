package dev.pagoda.os;

import dev.pagoda.os.port.Backend;
import dev.pagoda.os.port.DarwinBackend;
import dev.pagoda.os.port.LinuxBackend;
import dev.pagoda.os.port.NativeSyscalls;
import dev.pagoda.os.port.Transitions;

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
    private static final int M_RESERVED = Transitions.M_RESERVED;
    private static final int M_PREPARED = Transitions.M_PREPARED;
    private static final int M_READY = Transitions.M_READY;
    private static final int M_OWNED = Transitions.M_OWNED;

    private final Backend backend;
    private final long pageSize;
    /** The states of the pages this instance owns, and the protocol around the system calls. */
    private final Transitions engine;

    private OsMemory(final Backend backend) {
        this.backend = backend;
        this.pageSize = backend.pageSize();
        this.engine = new Transitions(backend);
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
        return engine.recordNew(Operation.RESERVE, backend.reserve(bytes), bytes, MemState.RESERVED);
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
        return engine.recordNew(Operation.RESERVE, p, bytes, MemState.RESERVED);
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
     * Releases many ranges at once: <b>Ready → Prepared</b> for each of {@code [addresses[i], addresses[i] +
     * lengths[i])}, {@code i < count}, as {@link #unused(long, long)} does, in as few system calls as the port
     * allows. This is how a buffer pool or a scavenger gives back a batch of scattered frames: on Linux 6.13 and
     * later one {@code process_madvise} over the whole batch, with a single TLB shootdown where the kernel batches
     * them, instead of one {@code madvise} (and one shootdown, an interrupt to every other CPU running the process)
     * per range; older kernels, {@code MADV_FREE} refusals and Darwin fall back to one call per range. No Go
     * counterpart: Go's scavenger releases one chunk at a time.
     *
     * <p>Every range is checked before any system call, as for a single range. If the kernel refuses one, the
     * ranges before it are released (Prepared), that range and those after it keep their state, and the
     * {@link OsMemoryException} names that range ({@link OsMemoryException#address()}). The arrays are only read.
     *
     * @param addresses the ranges' starts, page aligned, ascending
     * @param lengths   the ranges' sizes, positive multiples of the page size; no range overlaps the next
     * @param count     how many ranges, from index 0
     * @throws IllegalArgumentException if {@code count} is negative or beyond an array, a range is not page
     *                                  aligned, empty or overflows, or a range does not begin after the previous
     *                                  one ends
     * @throws IllegalStateException    if a page of any range is not Ready, or is {@linkplain #lock locked}
     * @throws OsMemoryException        if the kernel refused a range; the ranges before it were released
     */
    public void unused(final long[] addresses, final long[] lengths, final int count) {
        Objects.requireNonNull(addresses, "addresses");
        Objects.requireNonNull(lengths, "lengths");
        if (count < 0 || count > addresses.length || count > lengths.length) {
            throw new IllegalArgumentException("count must be in [0, min(addresses.length, lengths.length)] = [0, "
                    + Math.min(addresses.length, lengths.length) + "]: count=" + count);
        }
        for (int i = 0; i < count; i++) {
            checkRange(addresses[i], lengths[i]);
            if (i > 0 && addresses[i] < addresses[i - 1] + lengths[i - 1]) {
                throw new IllegalArgumentException("ranges must ascend without overlapping: range " + i + " at "
                        + hex(addresses[i]) + " begins before range " + (i - 1) + " ends at "
                        + hex(addresses[i - 1] + lengths[i - 1]));
            }
        }
        if (count > 0) {
            engine.unused(addresses, lengths, count);
        }
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
        return engine.recordNew(Operation.ALLOC, backend.alloc(bytes), bytes, MemState.READY);
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
        return engine.lockedBytes();
    }

    /**
     * A consistent snapshot of the bytes held in each state.
     *
     * @return the counters
     */
    public OsMemoryStats stats() {
        return engine.stats();
    }

    /**
     * The state of the page containing {@code address}, as this instance knows it. A page with a system call
     * in flight reports the state it is leaving until the call succeeds.
     *
     * @param address any address
     * @return the page's state; {@link MemState#NONE} for memory this instance does not own
     */
    public MemState stateOf(final long address) {
        return engine.stateOf(address);
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
        return engine.bytesIn(address, bytes, state);
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

    private void transition(final Operation op, final long address, final long length, final int fromMask,
                            final MemState to) {
        checkRange(address, length);
        engine.transition(op, address, length, fromMask, to);
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

    private static String hex(final long value) {
        return Transitions.hex(value);
    }
}
