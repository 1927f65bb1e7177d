package dev.pagoda.pool.engine;

import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryException;
import dev.pagoda.os.Platform;
import dev.pagoda.os.Residency;

/**
 * The pool's address space, from the OS-memory layer: one reservation of {@code maxPages × pageSize} for the frames,
 * page {@code p} at {@code p × pageSize}, and one of {@code maxPages × 16} bytes for the {@linkplain PageTable page
 * table}. The frames are mapped whole when the pool opens (Reserved → Prepared, a gibibyte per call, and, where the
 * OS has transparent huge pages larger than a page, {@code noHugePage}, so that a 16 KiB frame never pulls in 2 MiB):
 * every byte of {@code frames()} can then be read without a fault, so no access through the segment can crash the
 * JVM, and a page that is not resident reads as zeros. That costs address space and page-table entries only, no
 * memory; under strict overcommit ({@code vm.overcommit_memory=2}) it counts against the commit limit, which is the
 * price of a segment over all of it. The page table is mapped in chunks as the file grows ({@link #ensureMapped},
 * Reserved → Prepared → Ready, where fresh zeros mean "evicted, version 0"). A frame is made Ready ({@link #used})
 * when its page is loaded and Prepared again ({@link #unused}) when it is evicted; evicted runs of adjacent frames go
 * back in one call.
 *
 * <p><b>A simulated OS.</b> A {@linkplain OsMemory#simulated simulated} layer has no memory behind its addresses, so
 * on one the pool keeps the bytes in a <i>shadow</i>: a private reservation of the real OS with the same layout.
 * Each transition is asked of the simulation, which accounts, limits and injects failures, and mirrored onto the
 * shadow, in the order that never leaves the pool touching memory the real kernel has not granted: transitions that
 * grant access (map, used) go to the shadow first and are undone there if the simulation refuses; those that
 * withdraw it (unused) go to the simulation first. Locks are the simulation's alone, so its limit is the one
 * tested. Every address handed to the rest of the pool ({@link #framesAddress()}, {@link #tableAddress()}) is real.
 *
 * <p>{@link #ensureMapped} holds this object's monitor across its system calls: it is taken only under the
 * pool's allocation lock, never by the fix paths, and nothing is taken under it but the OS layer's own monitor.
 */
public final class PoolMemory {
    private static final long ENTRY = PageTable.ENTRY_BYTES;
    /** The frames are mapped at most this much per call: under heuristic overcommit no one call may exceed RAM. */
    private static final long FRAME_MAP_BYTES = 1L << 30;

    private final OsMemory os;
    /** Real memory behind a simulated {@link #os}; null when {@link #os} is real. */
    private final OsMemory shadow;
    private final long pageSize;
    private final long maxPages;
    private final long chunkPages;
    private final boolean noHugePages;
    private final long frameBytes;
    private final long tableBytes;
    private final long framesOs;
    private final long tableOs;
    private final long framesReal;
    private final long tableReal;
    /** Pages whose page-table entries are mapped; guarded by this. */
    private long mappedPages;
    /** The scratch of a batch {@link #unused(long[], long[], int)}: its runs' addresses in {@link #os} and for real. */
    private long[] batchOs = new long[0];
    private long[] batchReal = new long[0];

    private PoolMemory(final OsMemory os, final OsMemory shadow, final long pageSize, final long maxPages,
                       final long[] bases) {
        this.os = os;
        this.shadow = shadow;
        this.pageSize = pageSize;
        this.maxPages = maxPages;
        final long osPage = Math.max(os.pageSize(), shadow == null ? 0 : shadow.pageSize());
        this.chunkPages = Math.max(osPage / ENTRY, 4096);
        final long huge = (shadow == null ? os : shadow).hugePageSize();
        this.noHugePages = huge > pageSize;
        this.frameBytes = maxPages * pageSize;
        this.tableBytes = tableBytes(maxPages, osPage);
        this.framesOs = bases[0];
        this.tableOs = bases[1];
        this.framesReal = shadow == null ? bases[0] : bases[2];
        this.tableReal = shadow == null ? bases[1] : bases[3];
    }

    /**
     * Reserves the frames and the page table; nothing is mapped yet.
     *
     * @param os       the OS-memory layer, real or simulated
     * @param pageSize the page size, a power of two of at least the OS page
     * @param maxPages the most pages the pool will hold
     * @return the reservations
     * @throws dev.pagoda.os.OsMemoryException if the OS refuses the address space; nothing is left reserved
     */
    public static PoolMemory reserve(final OsMemory os, final long pageSize, final long maxPages) {
        final OsMemory shadow = os.port().equals("simulated") ? OsMemory.system() : null;
        final long osPage = Math.max(os.pageSize(), shadow == null ? 0 : shadow.pageSize());
        final long table = tableBytes(maxPages, osPage);
        final long[] bases = new long[4];
        try {
            bases[0] = os.reserveAligned(maxPages * pageSize, pageSize);
            bases[1] = os.reserve(table);
            if (shadow != null) {
                bases[2] = shadow.reserveAligned(maxPages * pageSize, pageSize);
                bases[3] = shadow.reserve(table);
            }
        } catch (final RuntimeException e) {
            freeQuietly(os, bases[0], maxPages * pageSize, e);
            freeQuietly(os, bases[1], table, e);
            if (shadow != null) {
                freeQuietly(shadow, bases[2], maxPages * pageSize, e);
                freeQuietly(shadow, bases[3], table, e);
            }
            throw e;
        }
        final PoolMemory memory = new PoolMemory(os, shadow, pageSize, maxPages, bases);
        try {
            final long bytes = maxPages * pageSize;
            for (long offset = 0; offset < bytes; offset += FRAME_MAP_BYTES) {
                memory.mapFrames(offset, Math.min(FRAME_MAP_BYTES, bytes - offset));
            }
        } catch (final RuntimeException e) {
            try {
                memory.free();
            } catch (final RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return memory;
    }

    private static long tableBytes(final long maxPages, final long osPage) {
        return (maxPages * ENTRY + osPage - 1) & -osPage;
    }

    /**
     * The real address of frame 0; frame {@code p} is at {@code p × pageSize} from it.
     *
     * @return the address
     */
    public long framesAddress() {
        return framesReal;
    }

    /**
     * The real address of the page table.
     *
     * @return the address
     */
    public long tableAddress() {
        return tableReal;
    }

    /**
     * The size of the frames' reservation.
     *
     * @return {@code maxPages × pageSize}
     */
    public long frameBytes() {
        return frameBytes;
    }

    /**
     * The size of the page table's reservation.
     *
     * @return {@code maxPages × 16}, rounded up to the OS page
     */
    public long tableBytes() {
        return tableBytes;
    }

    /**
     * How many pages have their page-table entries mapped.
     *
     * @return the mapped pages
     */
    public synchronized long mappedPages() {
        return mappedPages;
    }

    /**
     * Maps the page-table entries of pages {@code [0, pages)}, a chunk at a time. A failure leaves every chunk mapped
     * before it mapped and the failing one as it was.
     *
     * @param pages how many pages must be usable
     * @throws dev.pagoda.os.OsMemoryException if the OS refuses a mapping
     */
    public synchronized void ensureMapped(final long pages) {
        while (mappedPages < pages) {
            final long from = mappedPages;
            final long to = Math.min(maxPages, from + chunkPages);
            final long tableFrom = from * ENTRY;
            final long tableTo = to == maxPages ? tableBytes : to * ENTRY;
            mapTable(tableFrom, tableTo - tableFrom);
            mappedPages = to;
        }
    }

    private void mapFrames(final long offset, final long bytes) {
        grant(OsMemory::map, OsMemory::fault, framesOs, framesReal, offset, bytes);
        if (noHugePages) {
            os.noHugePage(framesOs + offset, bytes);
            if (shadow != null) {
                shadow.noHugePage(framesReal + offset, bytes);
            }
        }
    }

    private void mapTable(final long offset, final long bytes) {
        grant(OsMemory::map, OsMemory::fault, tableOs, tableReal, offset, bytes);
        try {
            grant(OsMemory::used, OsMemory::unused, tableOs, tableReal, offset, bytes);
        } catch (final RuntimeException e) {
            undo(() -> withdraw(OsMemory::fault, tableOs, tableReal, offset, bytes), e);
            throw e;
        }
    }

    /**
     * Makes frames Ready before a page is read into them: <b>Prepared → Ready</b>.
     *
     * @param offset the first frame's offset, a multiple of the page size
     * @param bytes  whole frames
     * @throws dev.pagoda.os.OsMemoryException if the OS refuses; the frames stay Prepared
     */
    public void used(final long offset, final long bytes) {
        grant(OsMemory::used, OsMemory::unused, framesOs, framesReal, offset, bytes);
    }

    /**
     * Gives evicted frames back: <b>Ready → Prepared</b>, one {@code madvise} for the whole run.
     *
     * @param offset the first frame's offset
     * @param bytes  whole frames, unlocked
     * @throws dev.pagoda.os.OsMemoryException if the OS refuses; the frames stay Ready
     */
    public void unused(final long offset, final long bytes) {
        withdraw(OsMemory::unused, framesOs, framesReal, offset, bytes);
    }

    /**
     * Gives back a batch of evicted runs of frames: <b>Ready → Prepared</b> for each run, in as few system calls as
     * the OS layer can ({@link OsMemory#unused(long[], long[], int)}: one {@code process_madvise} on Linux 6.13+).
     * Called by one thread at a time: the pool's eviction lock is held.
     *
     * @param offsets the runs' first frames' offsets, ascending
     * @param lengths the runs' sizes in bytes, whole frames, unlocked; no run touches the next
     * @param count   how many runs
     * @throws Refused if the OS refused a run: the runs before it are released, it and the later ones stay Ready
     */
    public void unused(final long[] offsets, final long[] lengths, final int count) {
        if (batchOs.length < count) {
            batchOs = new long[count];
            batchReal = new long[count];
        }
        for (int i = 0; i < count; i++) {
            batchOs[i] = framesOs + offsets[i];
            batchReal[i] = framesReal + offsets[i];
        }
        try {
            os.unused(batchOs, lengths, count);
        } catch (final OsMemoryException e) {
            int released = 0;
            while (released < count && batchOs[released] != e.address()) {
                released++;
            }
            released = released == count ? 0 : released;
            if (shadow != null && released > 0) {
                shadow.unused(batchReal, lengths, released);
            }
            throw new Refused(released, e);
        }
        if (shadow != null) {
            shadow.unused(batchReal, lengths, count);
        }
    }

    /** A batch release the OS refused part of: the runs before {@link #released()} were released, no others. */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int released;

        Refused(final int released, final OsMemoryException cause) {
            super("the OS released " + released + " runs of an eviction batch, then refused the next: "
                    + cause.getMessage(), cause);
            this.released = released;
        }

        /**
         * How many runs, from the first, were released.
         *
         * @return the runs released
         */
        public int released() {
            return released;
        }
    }

    /** One transition of the OS layer over a range, for {@link #grant} and {@link #withdraw}. */
    @FunctionalInterface
    private interface Transition {
        void apply(OsMemory layer, long address, long bytes);
    }

    /**
     * A transition that grants access: the shadow's first, so the pool never touches memory the real kernel has not
     * granted, then the simulation's; if the simulation refuses, {@code back} undoes it on the shadow.
     */
    private void grant(final Transition to, final Transition back, final long osBase, final long realBase,
                       final long offset, final long bytes) {
        if (shadow != null) {
            to.apply(shadow, realBase + offset, bytes);
        }
        try {
            to.apply(os, osBase + offset, bytes);
        } catch (final RuntimeException e) {
            if (shadow != null) {
                undo(() -> back.apply(shadow, realBase + offset, bytes), e);
            }
            throw e;
        }
    }

    /** A transition that withdraws access: the simulation's first (it may refuse, changing nothing), then the shadow's. */
    private void withdraw(final Transition to, final long osBase, final long realBase, final long offset,
                          final long bytes) {
        to.apply(os, osBase + offset, bytes);
        if (shadow != null) {
            to.apply(shadow, realBase + offset, bytes);
        }
    }

    /**
     * Locks Ready frames in memory ({@code mlock}).
     *
     * @param offset the first frame's offset
     * @param bytes  whole frames
     * @throws dev.pagoda.os.OsMemoryException if the kernel refuses, naming {@code RLIMIT_MEMLOCK} when it is the
     *                                         limit
     */
    public void lock(final long offset, final long bytes) {
        os.lock(framesOs + offset, bytes);
    }

    /**
     * Unlocks frames ({@code munlock}) before they are given back.
     *
     * @param offset the first frame's offset
     * @param bytes  whole frames
     * @throws dev.pagoda.os.OsMemoryException if the system call fails; the frames stay locked
     */
    public void unlock(final long offset, final long bytes) {
        os.unlock(framesOs + offset, bytes);
    }

    /**
     * Which pages of frames {@code [first, first + count)} the kernel holds in memory now ({@code mincore} over the
     * real frames).
     *
     * @param first the first frame
     * @param count how many frames
     * @return the residency, in OS pages; empty for none
     */
    public Residency residency(final long first, final long count) {
        return count == 0 ? new Residency(0, 0)
                : Platform.current().residency(framesReal + first * pageSize, count * pageSize);
    }

    /**
     * Unmaps everything, in the simulation and the shadow alike; locked frames are unlocked by it.
     *
     * @throws RuntimeException the first failure, after every region was tried
     */
    public synchronized void free() {
        RuntimeException failure = null;
        failure = freeQuietly(os, framesOs, frameBytes, failure);
        failure = freeQuietly(os, tableOs, tableBytes, failure);
        if (shadow != null) {
            failure = freeQuietly(shadow, framesReal, frameBytes, failure);
            failure = freeQuietly(shadow, tableReal, tableBytes, failure);
        }
        mappedPages = 0;
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException freeQuietly(final OsMemory os, final long address, final long bytes,
                                                final RuntimeException failure) {
        if (address == 0) {
            return failure;
        }
        try {
            os.free(address, bytes);
            return failure;
        } catch (final RuntimeException e) {
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
            return failure;
        }
    }

    private static void undo(final Runnable undo, final RuntimeException cause) {
        try {
            undo.run();
        } catch (final RuntimeException e) {
            cause.addSuppressed(e);
        }
    }
}
