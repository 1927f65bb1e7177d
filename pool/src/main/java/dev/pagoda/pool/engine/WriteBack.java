package dev.pagoda.pool.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;

import static dev.pagoda.pool.engine.PageState.EVICTED;
import static dev.pagoda.pool.engine.PageState.EXCLUSIVE;
import static dev.pagoda.pool.engine.PageState.SHARED_MAX;
import static dev.pagoda.pool.engine.PageState.SHARED_ONE;
import static dev.pagoda.pool.engine.PageState.UNLOCKED;

/**
 * Writing pages back to the file: one page for the evictor, which holds it exclusively, and every dirty page for
 * {@code flush()} and {@code close()}, each under a shared fix so that readers go on while it is written. Takes no
 * lock of its own; the file's monitor is a leaf.
 */
final class WriteBack {
    private final PageTable table;
    private final FrameSlots slots;
    private final PageFile file;
    private final MemorySegment frames;
    private final PoolCounters counters;
    private final long pageSize;
    private final int pageShift;
    private final long waitNanos;

    WriteBack(final PoolConfig config, final PageTable table, final FrameSlots slots, final PageFile file,
              final MemorySegment frames, final PoolCounters counters) {
        this.table = table;
        this.slots = slots;
        this.file = file;
        this.frames = frames;
        this.counters = counters;
        this.pageSize = config.pageSize();
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
        this.waitNanos = config.waitNanos();
    }

    /** Writes page {@code pid}'s frame to the file; the caller holds the page so that nobody changes it meanwhile. */
    void writePage(final long pid) {
        try {
            file.write(pid, frames.asSlice(pid << pageShift, pageSize).asByteBuffer());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write page " + pid + " of " + file.path(), e);
        }
        counters.writes.increment();
    }

    /**
     * Writes back every dirty page. {@code closeDeadline == 0}: flush, which waits up to the wait limit for each page
     * held exclusively and then throws; otherwise close, which skips pages still held at the deadline and counts them
     * in {@code skipped[0]}.
     *
     * @return the pages written
     */
    long writeBack(final long closeDeadline, final long[] skipped) {
        final long[] ring = new long[PoolEngine.MAX_BATCH];
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
                PageState.backoff(spin);
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
                    counters.dirty.decrement();
                }
                return;
            }
        }
    }
}
