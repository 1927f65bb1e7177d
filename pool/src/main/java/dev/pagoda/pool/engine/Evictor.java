package dev.pagoda.pool.engine;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

import static dev.pagoda.pool.engine.PageState.EXCLUSIVE;
import static dev.pagoda.pool.engine.PageState.MARKED;
import static dev.pagoda.pool.engine.PageState.UNLOCKED;

/**
 * The pool's eviction: a clock (second chance) over the ring of resident frames, a batch at a time. A loader that
 * finds the budget full runs one batch: the clock takes up to a batch of pages it passed once before without their
 * being used since, each by a compare-and-set to EXCLUSIVE (a page someone holds is passed, never waited for); dirty
 * ones are written back; then every frame of the batch goes back to the OS in one call
 * ({@link PoolMemory#unused(long[], long[], int)}, a {@code process_madvise} over all runs of adjacent frames, so
 * one TLB shootdown per batch where the kernel batches them instead of one per frame), and the pages become EVICTED
 * with a new version.
 *
 * <p>A page whose write-back fails stays resident and dirty; a run the OS refuses to release stays resident and clean.
 * Either way the batch finishes what it can and throws the first failure after.
 *
 * <p><b>Lock.</b> {@link #lock}: one batch at a time; it guards the scratch arrays and the hand. It is taken by a
 * loader holding no other pool lock and exactly one page (the one it loads, EXCLUSIVE, never in the ring yet); under
 * it only leaves are taken (the ring's monitor, the file's, the OS layer's).
 */
final class Evictor {
    private final PoolConfig config;
    private final PageTable table;
    private final FrameSlots slots;
    private final PoolMemory memory;
    private final PoolCounters counters;
    private final WriteBack writeBack;
    private final long budgetFrames;
    private final int batch;
    private final int pageShift;
    private final ReentrantLock lock = new ReentrantLock();

    /** The batch's pages, each held exclusively; then its runs: first candidate, offset and bytes. */
    private final long[] candidates;
    private final int[] runFirst;
    private final long[] runOffsets;
    private final long[] runLengths;
    /** A window of the ring, and the clock's hand. */
    private final long[] window = new long[PoolEngine.MAX_BATCH];
    private int hand;

    Evictor(final PoolConfig config, final PageTable table, final FrameSlots slots, final PoolMemory memory,
            final PoolCounters counters, final WriteBack writeBack) {
        this.config = config;
        this.table = table;
        this.slots = slots;
        this.memory = memory;
        this.counters = counters;
        this.writeBack = writeBack;
        this.budgetFrames = config.budgetFrames();
        this.batch = (int) Math.min(PoolEngine.MAX_BATCH, Math.max(1, budgetFrames / 8));
        this.pageShift = Long.numberOfTrailingZeros(config.pageSize());
        this.candidates = new long[batch];
        this.runFirst = new int[batch];
        this.runOffsets = new long[batch];
        this.runLengths = new long[batch];
    }

    /**
     * Frames one batch frees at most.
     *
     * @return the batch size
     */
    int batch() {
        return batch;
    }

    /** Counts one more frame in, evicting a batch first when the budget is full. */
    void reserveFrame() {
        final long waitNanos = config.waitNanos();
        long deadline = 0;
        while (true) {
            final long r = counters.resident.get();
            if (r < budgetFrames) {
                if (counters.resident.compareAndSet(r, r + 1)) {
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

    /** Runs one batch if the budget is still full; true if a frame is free now (freed here or meanwhile). */
    private boolean evict() {
        lock.lock();
        try {
            if (counters.resident.get() < budgetFrames) {
                return true;
            }
            return evictBatch() > 0;
        } finally {
            lock.unlock();
        }
    }

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
                    writeBack.writePage(pid);
                } catch (final RuntimeException e) {
                    failure = chain(failure, e);
                    table.release(pid, PageState.with(s, UNLOCKED)); // still dirty, still resident
                    continue;
                }
                table.release(pid, s & ~PageState.DIRTY);
                counters.dirty.decrement();
            }
            candidates[kept++] = pid;
        }
        int runs = 0;
        for (int i = 0; i < kept; ) {
            int j = i;
            while (j + 1 < kept && candidates[j + 1] == candidates[j] + 1) {
                j++;
            }
            final long offset = candidates[i] << pageShift;
            final long bytes = (long) (j - i + 1) << pageShift;
            try {
                if (config.lockFrames()) {
                    memory.unlock(offset, bytes);
                }
                runFirst[runs] = i;
                runOffsets[runs] = offset;
                runLengths[runs] = bytes;
                runs++;
            } catch (final RuntimeException e) {
                failure = chain(failure, e);
                keep(i, j + 1); // still locked, resident, clean
            }
            i = j + 1;
        }
        int released = runs;
        try {
            if (runs > 0) {
                memory.unused(runOffsets, runLengths, runs);
            }
        } catch (final PoolMemory.Refused e) {
            released = e.released();
            failure = chain(failure, (RuntimeException) e.getCause());
        } catch (final RuntimeException e) {
            released = 0;
            failure = chain(failure, e);
        }
        int freed = 0;
        for (int r = 0; r < runs; r++) {
            final int first = runFirst[r];
            final int frames = (int) (runLengths[r] >> pageShift);
            if (r < released) {
                for (int k = first; k < first + frames; k++) {
                    final long pid = candidates[k];
                    slots.remove(table.slot(pid));
                    table.release(pid, PageState.evicted(table.state(pid)));
                }
                counters.resident.addAndGet(-frames);
                counters.evictions.add(frames);
                if (config.lockFrames()) {
                    counters.lockedFrames.addAndGet(-frames);
                }
                freed += frames;
            } else {
                if (config.lockFrames()) {
                    try {
                        memory.lock(runOffsets[r], runLengths[r]);
                    } catch (final RuntimeException relock) {
                        failure = chain(failure, relock);
                        counters.lockedFrames.addAndGet(-frames); // resident, but no longer locked
                    }
                }
                keep(first, first + frames);
            }
        }
        if (failure != null) {
            throw failure;
        }
        return freed;
    }

    /** Gives candidates {@code [from, to)} back as they were: resident, clean, same version. */
    private void keep(final int from, final int to) {
        for (int k = from; k < to; k++) {
            final long pid = candidates[k];
            table.release(pid, PageState.with(table.state(pid), UNLOCKED));
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

    static RuntimeException chain(final RuntimeException first, final RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
