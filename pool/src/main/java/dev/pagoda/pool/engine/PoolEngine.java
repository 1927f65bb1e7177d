package dev.pagoda.pool.engine;

import dev.pagoda.os.Residency;
import dev.pagoda.pool.BufferPoolStats;
import dev.pagoda.pool.PageReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

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
 *   <li>{@link #allocLock} (allocation: map more of the reservation, extend the file), or {@link #evictLock} (one
 *   eviction batch at a time, with its scratch arrays); never both;</li>
 *   <li>the leaves: the ring's monitor ({@link FrameSlots}), {@link PoolMemory}'s, {@link PageFile}'s, and the OS
 *   layer's own.</li>
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
    private static final int SPINS = 64;

    private final PoolConfig config;
    private final long pageSize;
    private final int pageShift;
    private final long budgetFrames;
    private final int batch;
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
    private final ReentrantLock evictLock = new ReentrantLock();

    /** Frames holding a page or being filled with one; never above {@link #budgetFrames}. */
    private final AtomicLong resident = new AtomicLong();
    private final AtomicLong lockedFrames = new AtomicLong();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder reads = new LongAdder();
    private final LongAdder writes = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder dirty = new LongAdder();

    /** Pages in the file; page ids below it are valid. Written under {@link #allocLock}. */
    private volatile long pageCount;
    private volatile int phase = OPEN;

    /** The clock's scratch: candidates of the batch, a window of the ring, the hand; guarded by evictLock. */
    private final long[] candidates;
    private final long[] window = new long[MAX_BATCH];
    private int hand;

    private PoolEngine(final PoolConfig config, final PageFile file, final PoolMemory memory) {
        this.config = config;
        this.pageSize = config.pageSize();
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
        this.budgetFrames = config.budgetFrames();
        this.batch = (int) Math.min(MAX_BATCH, Math.max(1, budgetFrames / 8));
        this.candidates = new long[batch];
        this.waitNanos = config.waitNanos();
        this.file = file;
        this.memory = memory;
        this.arena = Arena.ofShared();
        this.frames = segment(memory.framesAddress(), memory.frameBytes(), arena);
        this.table = new PageTable(segment(memory.tableAddress(), memory.tableBytes(), arena));
        this.zeroPage = arena.allocate(pageSize, pageSize);
        this.pageCount = file.initialPages();
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
        for (int spin = 0; ; spin++) {
            final long s = table.state(pid);
            final int st = PageState.state(s);
            if (st == UNLOCKED || st == MARKED) {
                if (table.cas(pid, s, PageState.with(s, EXCLUSIVE))) {
                    hits.increment();
                    return pid << pageShift;
                }
            } else if (st == EVICTED) {
                if (table.cas(pid, s, PageState.with(s, EXCLUSIVE))) {
                    load(pid, s);
                    return pid << pageShift;
                }
            } else {
                backoff(spin);
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
        for (int spin = 0; ; spin++) {
            final long s = table.state(pid);
            final int st = PageState.state(s);
            if (st == UNLOCKED || st == MARKED || (st >= SHARED_ONE && st < SHARED_MAX)) {
                final int next = st >= SHARED_ONE ? st + 1 : SHARED_ONE;
                if (table.cas(pid, s, PageState.with(s, next))) {
                    hits.increment();
                    return pid << pageShift;
                }
            } else if (st == EVICTED) {
                if (table.cas(pid, s, PageState.with(s, EXCLUSIVE))) {
                    load(pid, s);
                    table.release(pid, PageState.with(s, SHARED_ONE)); // a loaded page is clean: s has no dirty bit
                    return pid << pageShift;
                }
            } else {
                backoff(spin); // held exclusively, or by the most sharers a word can count
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
            throw notFixed("unfixExclusive", pid, s, "fixed exclusively");
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
        while (true) {
            final long s = table.state(pid);
            final int st = PageState.state(s);
            if (st < SHARED_ONE) {
                throw notFixed("unfixShared", pid, s, "fixed shared");
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
            throw notFixed("markDirty", pid, s, "fixed exclusively");
        }
        if (!PageState.dirty(s)) {
            // Nobody else changes the word of a page held exclusively (every other writer compares and sets from a
            // state that is not EXCLUSIVE), so a plain store is enough; release orders it after the frame's writes.
            table.release(pid, s | PageState.DIRTY);
            dirty.increment();
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
        final long offset = pid << pageShift;
        for (int spin = 0; ; spin++) {
            final long s = table.state(pid);
            final int st = PageState.state(s);
            if (st == EXCLUSIVE) {
                backoff(spin);
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
            } catch (final RuntimeException torn) {
                if (stable(pid, s)) {
                    throw torn;
                }
                continue;
            }
            if (stable(pid, s)) {
                hits.increment();
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

    private static IllegalStateException notFixed(final String call, final long pid, final long word,
                                                  final String needed) {
        return new IllegalStateException(call + "(" + pid + ") needs the page " + needed + " by the caller, but it is "
                + PageState.describe(word));
    }

    private static void backoff(final int spin) {
        if (spin < SPINS) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // A miss: make a frame Ready, read the page into it.

    /**
     * Loads {@code pid}, which the caller took from EVICTED to EXCLUSIVE (word {@code evicted} before). Returns with
     * the page resident and still exclusive; on any failure puts the word back and throws.
     */
    private void load(final long pid, final long evicted) {
        boolean entered = false;
        boolean reserved = false;
        try {
            gate.enter();
            entered = true;
            reserveFrame();
            reserved = true;
            final long offset = pid << pageShift;
            memory.used(offset, pageSize);
            try {
                file.read(pid, frames.asSlice(offset, pageSize).asByteBuffer());
                if (config.lockFrames()) {
                    memory.lock(offset, pageSize);
                    lockedFrames.incrementAndGet();
                }
            } catch (final IOException | RuntimeException e) {
                try {
                    memory.unused(offset, pageSize);
                } catch (final RuntimeException suppressed) {
                    e.addSuppressed(suppressed); // the frame stays Ready; the next load of the page reuses it
                }
                throw e;
            }
            table.slot(pid, slots.add(pid));
            misses.increment();
            reads.increment();
        } catch (final IOException e) {
            undoLoad(pid, evicted, reserved);
            throw new UncheckedIOException("cannot read page " + pid + " of " + file.path(), e);
        } catch (final RuntimeException | Error e) {
            undoLoad(pid, evicted, reserved);
            throw e;
        } finally {
            if (entered) {
                gate.exit();
            }
        }
    }

    private void undoLoad(final long pid, final long evicted, final boolean reserved) {
        if (reserved) {
            resident.decrementAndGet();
        }
        table.release(pid, evicted);
    }

    /** Counts one more frame in, evicting a batch first when the budget is full. */
    private void reserveFrame() {
        long deadline = 0;
        while (true) {
            final long r = resident.get();
            if (r < budgetFrames) {
                if (resident.compareAndSet(r, r + 1)) {
                    return;
                }
                continue;
            }
            if (evict()) {
                continue;
            }
            if (deadline == 0) {
                deadline = System.nanoTime() + waitNanos;
            } else if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("every one of the " + budgetFrames + " frames of the memory budget "
                        + "has stayed fixed for " + waitNanos / 1_000_000 + " ms: unfix pages, or raise memoryBudget");
            }
            Thread.yield();
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Eviction: the clock, a batch at a time.

    /**
     * Runs one eviction batch if the budget is still full.
     *
     * @return true if a frame is free now (freed here or by another thread meanwhile)
     */
    private boolean evict() {
        evictLock.lock();
        try {
            if (resident.get() < budgetFrames) {
                return true;
            }
            return evictBatch() > 0;
        } finally {
            evictLock.unlock();
        }
    }

    /**
     * Chooses up to a batch of pages by the clock, writes back the dirty ones, gives their frames back in as few
     * {@code unused} calls as runs of adjacent page ids allow, and marks them evicted. A page whose write or release
     * fails stays resident (and dirty, if its write failed); the first failure is thrown once the batch is done.
     */
    private int evictBatch() {
        final int n = collect();
        if (n == 0) {
            return 0;
        }
        Arrays.sort(candidates, 0, n);
        RuntimeException failure = null;
        int kept = 0;
        for (int i = 0; i < n; i++) {
            final long pid = candidates[i];
            final long s = table.state(pid);
            if (PageState.dirty(s)) {
                try {
                    writePage(pid);
                } catch (final RuntimeException e) {
                    failure = chain(failure, e);
                    table.release(pid, PageState.with(s, UNLOCKED)); // still dirty, still resident
                    continue;
                }
                table.release(pid, s & ~PageState.DIRTY);
                dirty.decrement();
            }
            candidates[kept++] = pid;
        }
        int freed = 0;
        for (int i = 0; i < kept; ) {
            int j = i;
            while (j + 1 < kept && candidates[j + 1] == candidates[j] + 1) {
                j++;
            }
            final int run = j - i + 1;
            try {
                release(candidates[i] << pageShift, (long) run << pageShift);
                for (int k = i; k <= j; k++) {
                    final long pid = candidates[k];
                    slots.remove(table.slot(pid));
                    table.release(pid, PageState.evicted(table.state(pid)));
                }
                resident.addAndGet(-run);
                evictions.add(run);
                freed += run;
            } catch (final RuntimeException e) {
                failure = chain(failure, e);
                for (int k = i; k <= j; k++) {
                    final long pid = candidates[k];
                    table.release(pid, PageState.with(table.state(pid), UNLOCKED)); // clean, resident, same version
                }
            }
            i = j + 1;
        }
        if (failure != null) {
            throw failure;
        }
        return freed;
    }

    /** Unlocks (if frames are locked) and gives back one run of frames; on failure the run is as it was. */
    private void release(final long offset, final long bytes) {
        if (config.lockFrames()) {
            memory.unlock(offset, bytes);
        }
        try {
            memory.unused(offset, bytes);
        } catch (final RuntimeException e) {
            if (config.lockFrames()) {
                try {
                    memory.lock(offset, bytes);
                } catch (final RuntimeException relock) {
                    e.addSuppressed(relock);
                    lockedFrames.addAndGet(-(bytes >> pageShift)); // resident, but no longer locked
                }
            }
            throw e;
        }
        if (config.lockFrames()) {
            lockedFrames.addAndGet(-(bytes >> pageShift));
        }
    }

    /**
     * Walks the clock: a MARKED page is taken (exclusively) for the batch, an UNLOCKED one is marked and passed, any
     * other is passed. At most two turns of the ring, so a page passed over once is taken on the second turn.
     *
     * @return how many candidates are in {@link #candidates}, each held exclusively
     */
    private int collect() {
        final int length = slots.length();
        int n = 0;
        for (int scanned = 0; scanned < 2 * length && n < batch; ) {
            if (hand >= length) {
                hand = 0;
            }
            final int got = slots.window(hand, window);
            for (int w = 0; w < got && n < batch; w++) {
                hand++;
                scanned++;
                final long pid = window[w];
                if (pid == FrameSlots.EMPTY) {
                    continue;
                }
                final long s = table.state(pid);
                final int st = PageState.state(s);
                if (st == MARKED) {
                    if (table.cas(pid, s, PageState.with(s, EXCLUSIVE))) {
                        candidates[n++] = pid;
                    }
                } else if (st == UNLOCKED) {
                    table.cas(pid, s, PageState.with(s, MARKED));
                }
            }
        }
        return n;
    }

    private void writePage(final long pid) {
        try {
            file.write(pid, frames.asSlice(pid << pageShift, pageSize).asByteBuffer());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write page " + pid + " of " + file.path(), e);
        }
        writes.increment();
    }

    private static RuntimeException chain(final RuntimeException first, final RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
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
                writes.increment();
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
            return writeBack(0, new long[1]);
        } finally {
            gate.exit();
        }
    }

    /**
     * Writes back every dirty page. {@code closeDeadline == 0}: flush, which waits up to the wait limit for each page
     * held exclusively and then throws; otherwise close, which skips pages still held at the deadline and counts them
     * in {@code skipped[0]}.
     *
     * @return the pages written
     */
    private long writeBack(final long closeDeadline, final long[] skipped) {
        final long[] ring = new long[MAX_BATCH];
        long written = 0;
        for (int from = 0; ; from += ring.length) {
            final int got = slots.window(from, ring);
            if (got == 0) {
                return written;
            }
            for (int i = 0; i < got; i++) {
                if (ring[i] != FrameSlots.EMPTY) {
                    final int r = writeBackPage(ring[i], closeDeadline);
                    if (r < 0) {
                        skipped[0]++;
                    } else {
                        written += r;
                    }
                }
            }
        }
    }

    /** Writes one page back under a shared fix: 1 if written, 0 if clean, -1 if skipped (closing only). */
    private int writeBackPage(final long pid, final long closeDeadline) {
        long deadline = closeDeadline;
        for (int spin = 0; ; spin++) {
            final long s = table.state(pid);
            final int st = PageState.state(s);
            if (!PageState.dirty(s) || st == EVICTED) {
                return 0;
            }
            if (st == EXCLUSIVE || st == SHARED_MAX) {
                if (deadline == 0) {
                    deadline = System.nanoTime() + waitNanos;
                } else if (System.nanoTime() - deadline > 0) {
                    if (closeDeadline != 0) {
                        return -1;
                    }
                    throw new IllegalStateException("flush() waited " + waitNanos / 1_000_000 + " ms for page " + pid
                            + ", which stays fixed exclusively; a thread that holds an exclusive fix must not flush");
                }
                backoff(spin);
                continue;
            }
            if (!table.cas(pid, s, PageState.with(s, st >= SHARED_ONE ? st + 1 : SHARED_ONE))) {
                continue;
            }
            boolean written = false;
            try {
                writePage(pid);
                written = true;
            } finally {
                endWriteBack(pid, written);
            }
            return 1;
        }
    }

    /**
     * Drops the write-back's shared fix, clearing the dirty bit if the page was written: nobody can have dirtied it
     * since, as that takes an exclusive fix. Two flushes may write the same page side by side; the one that clears
     * the bit counts the page clean.
     */
    private void endWriteBack(final long pid, final boolean written) {
        while (true) {
            final long s = table.state(pid);
            final int st = PageState.state(s);
            final long next = PageState.with(written ? s & ~PageState.DIRTY : s,
                    st == SHARED_ONE ? UNLOCKED : st - 1);
            if (table.cas(pid, s, next)) {
                if (written && PageState.dirty(s)) {
                    dirty.decrement();
                }
                return;
            }
        }
    }

    /**
     * The figures now.
     *
     * @return a snapshot
     */
    public BufferPoolStats stats() {
        return new BufferPoolStats(pageSize, pageCount, config.maxPages(), budgetFrames, resident.get(), dirty.sum(),
                lockedFrames.get(), hits.sum(), misses.sum(), reads.sum(), writes.sum(), evictions.sum());
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
        return batch;
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
            writeBack(System.nanoTime() + waitNanos, skipped);
        } catch (final RuntimeException e) {
            failure = e;
        }
        phase = CLOSED;
        try {
            closeArena();
            memory.free();
            resident.set(0); // every frame is gone, and every lock with it
            lockedFrames.set(0);
        } catch (final RuntimeException e) {
            failure = chain(failure, e);
        }
        try {
            file.close();
        } catch (final IOException e) {
            failure = chain(failure, new UncheckedIOException("cannot close " + file.path(), e));
        }
        if (skipped[0] > 0) {
            failure = chain(failure, new IllegalStateException("closed, but " + skipped[0] + " dirty pages stayed fixed "
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
