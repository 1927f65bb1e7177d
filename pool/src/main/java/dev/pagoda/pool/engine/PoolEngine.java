package dev.pagoda.pool.engine;

import dev.pagoda.os.Residency;
import dev.pagoda.pool.BufferPoolStats;
import dev.pagoda.pool.PageReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static dev.pagoda.pool.engine.PageState.EVICTED;
import static dev.pagoda.pool.engine.PageState.EXCLUSIVE;
import static dev.pagoda.pool.engine.PageState.MARKED;
import static dev.pagoda.pool.engine.PageState.SHARED_MAX;
import static dev.pagoda.pool.engine.PageState.SHARED_ONE;
import static dev.pagoda.pool.engine.PageState.UNLOCKED;

/**
 * The buffer pool's engine: fixes and their state words, loads on a miss, the clock, flushing, allocation and
 * closing. {@code BufferPool} is its face; the package documentation of {@code dev.pagoda.pool} describes the design.
 *
 * <p><b>Locks</b>, in the only order in which one is ever held while another is taken:
 * <ol>
 *   <li>{@link #closeLock}, held only to move from open to closing;</li>
 *   <li>{@link #allocLock} (allocation: map more of the reservation, extend the file), or the {@link Evictor}'s (one
 *   eviction batch at a time, with its scratch arrays); never both;</li>
 *   <li>the leaves: the ring's monitor ({@link FrameSlots}), the hit counter's ({@link ThreadCounter}),
 *   {@link PoolMemory}'s, {@link PageFile}'s, and the OS layer's own.</li>
 * </ol>
 * Page fixes are not among them: a thread waits for a page only while it holds none of these locks (the evictor and
 * the loader take pages by compare-and-set and skip or fail, never wait), so a thread that holds pages and takes a
 * lock can never wait for a thread that holds that lock and wants its pages.
 */
public final class PoolEngine {
    /** The fewest frames a budget may hold: the clock needs room to choose. */
    public static final long MIN_FRAMES = 8;
    /** The most pages one eviction batch takes. */
    static final int MAX_BATCH = 64;
    private static final int OPEN = 0;
    private static final int CLOSING = 1;
    private static final int CLOSED = 2;

    private final PoolConfig config;
    private final long pageSize;
    private final int pageShift;
    private final long budgetFrames;
    private final long waitNanos;
    private final PoolMemory memory;
    private final PageFile file;
    private final Arena arena;
    private final MemorySegment frames;
    private final PageTable table;
    private final MemorySegment zeroPage;
    private final FrameSlots slots = new FrameSlots();
    private final PoolGate gate = new PoolGate();
    private final Object closeLock = new Object();
    private final Object allocLock = new Object();
    private final PoolCounters counters = new PoolCounters();
    private final WriteBack writeBack;
    private final Evictor evictor;
    private final Loader loader;

    /** Pages in the file; page ids below it are valid. Written under {@link #allocLock}. */
    private volatile long pageCount;
    private volatile int phase = OPEN;

    private PoolEngine(final PoolConfig config, final PageFile file, final PoolMemory memory) {
        this.config = config;
        this.pageSize = config.pageSize();
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
        this.budgetFrames = config.budgetFrames();
        this.waitNanos = config.waitNanos();
        this.file = file;
        this.memory = memory;
        this.arena = Arena.ofShared();
        this.frames = segment(memory.framesAddress(), memory.frameBytes(), arena);
        this.table = new PageTable(segment(memory.tableAddress(), memory.tableBytes(), arena));
        this.zeroPage = arena.allocate(pageSize, pageSize);
        this.pageCount = file.initialPages();
        this.writeBack = new WriteBack(config, table, slots, file, frames, counters);
        this.evictor = new Evictor(config, table, slots, memory, counters, writeBack);
        this.loader = new Loader(config, table, slots, memory, file, frames, counters, gate, evictor);
    }

    @SuppressWarnings("restricted")
    private static MemorySegment segment(final long address, final long bytes, final Arena arena) {
        return MemorySegment.ofAddress(address).reinterpret(bytes, arena, null);
    }

    /**
     * Opens the file, reserves the address space and maps what the file holds.
     *
     * @param config checked settings
     * @return the open engine
     * @throws UncheckedIOException if the file cannot be created, opened or read
     */
    public static PoolEngine open(final PoolConfig config) {
        final PageFile file;
        try {
            file = PageFile.open(config.file(), config.pageSize(), config.maxPages(), config.directIo());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot open the pool's file " + config.file(), e);
        }
        PoolMemory memory = null;
        try {
            memory = PoolMemory.reserve(config.os(), config.pageSize(), config.maxPages());
            memory.ensureMapped(file.initialPages());
            return new PoolEngine(config, file, memory);
        } catch (final RuntimeException e) {
            if (memory != null) {
                try {
                    memory.free();
                } catch (final RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            try {
                file.close();
            } catch (final IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The exception for use after close. */
    static IllegalStateException closed() {
        return new IllegalStateException("the buffer pool is closed");
    }

    // -----------------------------------------------------------------------------------------------------------
    // Fixes: the hot paths. A hit is a read and a compare-and-set of the page's state word and allocates nothing.

    /**
     * Fixes a page for reading and writing, loading it on a miss.
     *
     * @param pid the page id
     * @return the page's offset in {@link #frames()}
     */
    public long fixExclusive(final long pid) {
        checkFix(pid);
        final long s = table.state(pid);
        final int st = PageState.state(s);
        if ((st == UNLOCKED || st == MARKED) && table.cas(pid, s, PageState.with(s, EXCLUSIVE))) {
            counters.hits.increment();
            return pid << pageShift;
        }
        return fixExclusiveSlow(pid);
    }

    /** The rest of {@link #fixExclusive}, out of line so that the hit stays small enough to inline. */
    private long fixExclusiveSlow(final long pid) {
        for (int spin = 0; ; spin++) {
            final long s = table.state(pid);
            final int st = PageState.state(s);
            if (st == UNLOCKED || st == MARKED) {
                if (table.cas(pid, s, PageState.with(s, EXCLUSIVE))) {
                    counters.hits.increment();
                    return pid << pageShift;
                }
            } else if (st == EVICTED) {
                if (table.cas(pid, s, PageState.with(s, EXCLUSIVE))) {
                    loader.load(pid, s);
                    return pid << pageShift;
                }
            } else {
                PageState.backoff(spin);
            }
        }
    }

    /**
     * Fixes a page for reading, with other readers, loading it on a miss.
     *
     * @param pid the page id
     * @return the page's offset in {@link #frames()}
     */
    public long fixShared(final long pid) {
        checkFix(pid);
        final long s = table.state(pid);
        final int st = PageState.state(s);
        if ((st == UNLOCKED || st == MARKED || (st >= SHARED_ONE && st < SHARED_MAX))
                && table.cas(pid, s, PageState.with(s, st >= SHARED_ONE ? st + 1 : SHARED_ONE))) {
            counters.hits.increment();
            return pid << pageShift;
        }
        return fixSharedSlow(pid);
    }

    /** The rest of {@link #fixShared}, out of line so that the hit stays small enough to inline. */
    private long fixSharedSlow(final long pid) {
        for (int spin = 0; ; spin++) {
            final long s = table.state(pid);
            final int st = PageState.state(s);
            if (st == UNLOCKED || st == MARKED || (st >= SHARED_ONE && st < SHARED_MAX)) {
                final int next = st >= SHARED_ONE ? st + 1 : SHARED_ONE;
                if (table.cas(pid, s, PageState.with(s, next))) {
                    counters.hits.increment();
                    return pid << pageShift;
                }
            } else if (st == EVICTED) {
                if (table.cas(pid, s, PageState.with(s, EXCLUSIVE))) {
                    loader.load(pid, s);
                    table.release(pid, PageState.with(s, SHARED_ONE)); // a loaded page is clean: s has no dirty bit
                    return pid << pageShift;
                }
            } else {
                PageState.backoff(spin); // held exclusively, or by the most sharers a word can count
            }
        }
    }

    /**
     * Ends an exclusive fix: the page's version moves on, so optimistic readers that overlapped it retry.
     *
     * @param pid the page id
     */
    public void unfixExclusive(final long pid) {
        checkUnfix(pid);
        final long s = table.state(pid);
        if (PageState.state(s) != EXCLUSIVE) {
            throw PageState.notHeld("unfixExclusive", pid, s, "fixed exclusively");
        }
        table.release(pid, PageState.released(s));
    }

    /**
     * Ends a shared fix.
     *
     * @param pid the page id
     */
    public void unfixShared(final long pid) {
        checkUnfix(pid);
        final long s = table.state(pid);
        final int st = PageState.state(s);
        if (st < SHARED_ONE || !table.cas(pid, s, PageState.with(s, st == SHARED_ONE ? UNLOCKED : st - 1))) {
            unfixSharedSlow(pid);
        }
    }

    /** The rest of {@link #unfixShared}: another sharer changed the word first, or the page is not fixed shared. */
    private void unfixSharedSlow(final long pid) {
        while (true) {
            final long s = table.state(pid);
            final int st = PageState.state(s);
            if (st < SHARED_ONE) {
                throw PageState.notHeld("unfixShared", pid, s, "fixed shared");
            }
            if (table.cas(pid, s, PageState.with(s, st == SHARED_ONE ? UNLOCKED : st - 1))) {
                return;
            }
        }
    }

    /**
     * Records that the exclusive holder changed the page: it is written back before it is evicted.
     *
     * @param pid the page id
     */
    public void markDirty(final long pid) {
        checkUnfix(pid);
        final long s = table.state(pid);
        if (PageState.state(s) != EXCLUSIVE) {
            throw PageState.notHeld("markDirty", pid, s, "fixed exclusively");
        }
        if (!PageState.dirty(s)) {
            // Nobody else changes the word of a page held exclusively (every other writer compares and sets from a
            // state that is not EXCLUSIVE), so a plain store is enough; release orders it after the frame's writes.
            table.release(pid, s | PageState.DIRTY);
            counters.dirty.increment();
        }
    }

    /**
     * Runs {@code reader} on a page without fixing it, until a run sees the page stable.
     *
     * @param pid    the page id
     * @param reader the reader
     * @return the result of the validated run
     */
    public long readOptimistic(final long pid, final PageReader reader) {
        checkFix(pid);
        final long s = table.state(pid);
        final int st = PageState.state(s);
        if (st == UNLOCKED || st >= SHARED_ONE) {
            final long result;
            try {
                result = reader.read(frames, pid << pageShift);
            } catch (final RuntimeException torn) {
                return readOptimisticSlow(pid, reader, s, torn);
            }
            if (stable(pid, s)) {
                counters.hits.increment();
                return result;
            }
        }
        return readOptimisticSlow(pid, reader, s, null);
    }

    /**
     * The rest of {@link #readOptimistic}: the page is held exclusively, evicted or marked, or the fast attempt
     * (word {@code first}) was disturbed or threw {@code torn}.
     */
    private long readOptimisticSlow(final long pid, final PageReader reader, final long first,
                                    final RuntimeException torn) {
        if (torn != null && stable(pid, first)) {
            throw torn; // the reader failed on a page nobody changed: its own failure
        }
        final long offset = pid << pageShift;
        for (int spin = 0; ; spin++) {
            final long s = table.state(pid);
            final int st = PageState.state(s);
            if (st == EXCLUSIVE) {
                PageState.backoff(spin);
                continue;
            }
            if (st == EVICTED) {
                fixShared(pid); // loads it; the frame is stable while shared
                try {
                    return reader.read(frames, offset);
                } finally {
                    unfixShared(pid);
                }
            }
            if (st == MARKED) {
                table.cas(pid, s, PageState.with(s, UNLOCKED)); // read again: second chance for a page in use
                continue;
            }
            final long result;
            try {
                result = reader.read(frames, offset);
            } catch (final RuntimeException again) {
                if (stable(pid, s)) {
                    throw again;
                }
                continue;
            }
            if (stable(pid, s)) {
                counters.hits.increment();
                return result;
            }
        }
    }

    private boolean stable(final long pid, final long before) {
        // The frame's reads above must not move below the second read of the word (StampedLock.validate's fence).
        VarHandle.acquireFence();
        return PageState.stable(before, table.state(pid));
    }

    private void checkFix(final long pid) {
        if (phase != OPEN) {
            throw closed();
        }
        if (pid < 0 || pid >= pageCount) {
            throw outOfRange(pid);
        }
    }

    private void checkUnfix(final long pid) {
        if (phase == CLOSED) {
            throw closed();
        }
        if (pid < 0 || pid >= pageCount) {
            throw outOfRange(pid);
        }
    }

    private IllegalArgumentException outOfRange(final long pid) {
        return new IllegalArgumentException("pid must be in [0, pageCount) = [0, " + pageCount + "): pid=" + pid);
    }

    // -----------------------------------------------------------------------------------------------------------
    // Allocation, flushing, statistics.

    /**
     * Appends a zeroed page to the file.
     *
     * @return its page id
     */
    public long allocatePage() {
        if (phase != OPEN) {
            throw closed();
        }
        gate.enter();
        try {
            synchronized (allocLock) {
                final long pid = pageCount;
                if (pid >= config.maxPages()) {
                    throw new IllegalStateException("the pool holds maxPages=" + config.maxPages()
                            + " pages already; build it with a larger maxPages");
                }
                memory.ensureMapped(pid + 1);
                try {
                    file.write(pid, zeroPage.asByteBuffer());
                } catch (final IOException e) {
                    try {
                        file.truncate(pid);
                    } catch (final IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    throw new UncheckedIOException("cannot extend " + file.path() + " by page " + pid, e);
                }
                counters.writes.increment();
                pageCount = pid + 1; // publishes the page: its entry is EVICTED, its bytes are in the file
                return pid;
            }
        } finally {
            gate.exit();
        }
    }

    /**
     * Writes every dirty page to the file, waiting for those other threads hold exclusively.
     *
     * @return the pages written
     */
    public long flush() {
        if (phase != OPEN) {
            throw closed();
        }
        gate.enter();
        try {
            return writeBack.writeBack(0, new long[1]);
        } finally {
            gate.exit();
        }
    }

    /**
     * The figures now.
     *
     * @return a snapshot
     */
    public BufferPoolStats stats() {
        return counters.snapshot(config, pageCount);
    }

    /**
     * The kernel's view of the frames: resident pages by {@code mincore}.
     *
     * @return the residency of the mapped frames, in OS pages
     */
    public Residency residency() {
        return residency(0, pageCount);
    }

    /**
     * The kernel's view of the frames of pages {@code [first, first + count)}.
     *
     * @param first the first page id
     * @param count how many pages
     * @return their residency, in OS pages
     */
    public Residency residency(final long first, final long count) {
        if (phase != OPEN) {
            throw closed();
        }
        final long pages = pageCount;
        if (first < 0 || count < 0 || first > pages - count) {
            throw new IllegalArgumentException("the range must lie in [0, pageCount) = [0, " + pages + "): first="
                    + first + ", count=" + count);
        }
        gate.enter();
        try {
            return memory.residency(first, count);
        } finally {
            gate.exit();
        }
    }

    /**
     * The segment over all frames, valid until close.
     *
     * @return the frames
     */
    public MemorySegment frames() {
        return frames;
    }

    /**
     * Pages in the file.
     *
     * @return the page count
     */
    public long pageCount() {
        return pageCount;
    }

    /**
     * The most frames resident at once.
     *
     * @return the budget in frames
     */
    public long budgetFrames() {
        return budgetFrames;
    }

    /**
     * Frames one eviction batch frees at most.
     *
     * @return the batch size
     */
    public int evictionBatch() {
        return evictor.batch();
    }

    /**
     * The settings.
     *
     * @return the configuration
     */
    public PoolConfig config() {
        return config;
    }

    /**
     * Whether {@code close()} has begun.
     *
     * @return true once closing
     */
    public boolean isClosed() {
        return phase != OPEN;
    }

    // -----------------------------------------------------------------------------------------------------------
    // Closing.

    /**
     * Writes back every dirty page, then frees everything and releases the file. Idempotent.
     *
     * @throws IllegalStateException if pages held exclusively past the wait limit could not be written back (the
     *                               pool is closed all the same)
     */
    public void close() {
        synchronized (closeLock) {
            if (phase != OPEN) {
                return;
            }
            phase = CLOSING; // new fixes, allocations and flushes are refused; holders may still unfix
        }
        gate.shut(); // loads, evictions, flushes and allocations in flight finish
        RuntimeException failure = null;
        final long[] skipped = new long[1];
        try {
            writeBack.writeBack(System.nanoTime() + waitNanos, skipped);
        } catch (final RuntimeException e) {
            failure = e;
        }
        phase = CLOSED;
        try {
            closeArena();
            memory.free();
            counters.resident.set(0); // every frame is gone, and every lock with it
            counters.lockedFrames.set(0);
        } catch (final RuntimeException e) {
            failure = Evictor.chain(failure, e);
        }
        try {
            file.close();
        } catch (final IOException e) {
            failure = Evictor.chain(failure, new UncheckedIOException("cannot close " + file.path(), e));
        }
        if (skipped[0] > 0) {
            failure = Evictor.chain(failure, new IllegalStateException("closed, but " + skipped[0] + " dirty pages stayed fixed "
                    + "exclusively for " + waitNanos / 1_000_000 + " ms and were not written back"));
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Closes the arena: a handshake after which no thread is inside an access to the frames or the page table, and
     * every later one throws. An I/O operation of the user's on a frame holds the arena open; it is waited for up to
     * the wait limit, then the memory is left mapped rather than pulled from under it.
     */
    private void closeArena() {
        final long deadline = System.nanoTime() + waitNanos;
        while (true) {
            try {
                arena.close();
                return;
            } catch (final IllegalStateException heldByIo) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("cannot close the pool's frames: an I/O operation on them has "
                            + "not ended; the memory stays mapped", heldByIo);
                }
                Thread.yield();
            }
        }
    }
}
