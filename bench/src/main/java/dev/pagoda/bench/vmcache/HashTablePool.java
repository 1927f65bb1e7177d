package dev.pagoda.bench.vmcache;

import dev.pagoda.alloc.PageHeap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The baseline: a classic hash-table buffer pool, written to be competent rather than a strawman.
 *
 * <ul>
 *   <li><b>Frames</b> come from Pagoda's {@link PageHeap}, one run per frame ({@code memoryBudget / pageSize} of
 *   them, taken at start; the OS backs each on its first load).</li>
 *   <li><b>The table</b> is a {@link ConcurrentHashMap}{@code <Long, Frame>} from page id to frame, as the issue
 *   asks. Its keys are boxed once, at start, for every page id of the file ({@code keys[pid]}): a hit looks up with
 *   the same {@code Long} and so allocates nothing, where {@code Long.valueOf(pid)} would allocate 16 bytes per
 *   access above 127. What a hit costs is the map's hash, probe and {@code equals}, which is the cost a table
 *   adds.</li>
 *   <li><b>The latch</b> is one int per frame: a count of sharers, or −1 held exclusively; fixing is one
 *   compare-and-set, unfixing one atomic add or store, as in the vmcache pool. After latching, the fix checks that
 *   the frame still holds its page (it may have been reused between the lookup and the latch) and looks again if
 *   not. A hit sets the frame's reference bit only if clear, so hot frames' cache lines stay shared.</li>
 *   <li><b>A miss</b> takes one lock for the table's changes: it looks again, takes a victim from the clock (a frame
 *   never used yet, else the next unlatched frame whose reference bit is clear; set bits are cleared on the way),
 *   writes the victim back if dirty, removes it from the table and enters the new page, all under the lock; the frame
 *   stays latched exclusively while the page is read in with {@link FileChannel#read(ByteBuffer, long)}, outside
 *   the lock, so another thread asking for it waits on the latch. The write of a dirty victim happens under the lock
 *   (so no thread can read the page's old bytes from the file in between); clean victims cost no I/O.</li>
 * </ul>
 *
 * <p>No eviction batches, no background threads: each miss evicts one frame.
 */
public final class HashTablePool implements PageStore {
    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final VarHandle LATCH;

    static {
        try {
            LATCH = MethodHandles.lookup().findVarHandle(Frame.class, "latch", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One frame: its memory, the page it holds, its latch and its clock bit. */
    private static final class Frame {
        final long address;
        /** A view of the frame for the channel; used only by the thread that holds the frame exclusively. */
        final ByteBuffer view;
        /** The page held, −1 if none; written only under the exclusive latch and the miss lock. */
        long pid = -1;
        /** Sharers (above 0), free (0) or held exclusively (−1). */
        volatile int latch;
        volatile boolean referenced;
        /** Written by the exclusive holder, read by the evictor once it holds the latch. */
        boolean dirty;

        @SuppressWarnings("restricted")
        Frame(final long address, final long pageSize) {
            this.address = address;
            this.view = MemorySegment.ofAddress(address).reinterpret(pageSize).asByteBuffer();
        }
    }

    private final long pageSize;
    private final FileChannel channel;
    private final PageHeap heap;
    private final Frame[] frames;
    private final Long[] keys;
    private final ConcurrentHashMap<Long, Frame> table;
    private final ReentrantLock missLock = new ReentrantLock();
    /** Frames handed out so far; guarded by {@link #missLock}. */
    private int used;
    /** The clock's hand; guarded by {@link #missLock}. */
    private int hand;

    /**
     * Opens the pool on an existing file of pages.
     *
     * @param file        the file, {@code pages × pageSize} bytes
     * @param pageSize    bytes per page, a multiple of the page heap's page
     * @param pages       pages in the file
     * @param budgetBytes the memory the frames may hold: {@code budgetBytes / pageSize} frames, at least 2
     */
    public HashTablePool(final Path file, final long pageSize, final long pages, final long budgetBytes) {
        final int frameCount = Math.toIntExact(budgetBytes / pageSize);
        if (frameCount < 2 || pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("frames=" + frameCount + ", pages=" + pages);
        }
        this.pageSize = pageSize;
        this.heap = PageHeap.builder().zeroing(false).backgroundScavenger(false).name("hash-table-pool").build();
        if (pageSize % heap.pageSize() != 0) {
            heap.close();
            throw new IllegalArgumentException("pageSize " + pageSize + " is not a multiple of " + heap.pageSize());
        }
        try {
            this.channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (final IOException e) {
            heap.close();
            throw new UncheckedIOException(e);
        }
        this.frames = new Frame[frameCount];
        for (int i = 0; i < frameCount; i++) {
            frames[i] = new Frame(heap.allocate(pageSize / heap.pageSize()), pageSize);
        }
        this.keys = new Long[(int) pages];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (long) i;
        }
        this.table = new ConcurrentHashMap<>(frameCount * 2);
    }

    @Override
    public long read(final long pid) {
        final Frame f = fix(pid, false);
        try {
            return Words.sum(EVERYTHING, f.address, pageSize);
        } finally {
            LATCH.getAndAdd(f, -1);
        }
    }

    @Override
    public void update(final long pid, final long value) {
        final Frame f = fix(pid, true);
        EVERYTHING.set(JAVA_LONG, f.address + UPDATE_OFFSET, value);
        f.dirty = true;
        f.latch = 0;
    }

    private Frame fix(final long pid, final boolean exclusive) {
        final Long key = keys[(int) pid];
        for (;;) {
            final Frame f = table.get(key);
            if (f == null) {
                final Frame loaded = load(pid, key, exclusive);
                if (loaded != null) {
                    return loaded;
                }
                continue;
            }
            if (exclusive ? LATCH.compareAndSet(f, 0, -1) : latchShared(f)) {
                if (f.pid == pid) {
                    if (!f.referenced) {
                        f.referenced = true;
                    }
                    return f;
                }
                unlatch(f, exclusive);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private static boolean latchShared(final Frame f) {
        for (;;) {
            final int s = f.latch;
            if (s < 0) {
                return false;
            }
            if (LATCH.compareAndSet(f, s, s + 1)) {
                return true;
            }
        }
    }

    private static void unlatch(final Frame f, final boolean exclusive) {
        if (exclusive) {
            f.latch = 0;
        } else {
            LATCH.getAndAdd(f, -1);
        }
    }

    /** Loads a page that the table lacks; null if another thread entered it first. */
    private Frame load(final long pid, final Long key, final boolean exclusive) {
        final Frame victim;
        missLock.lock();
        try {
            if (table.get(key) != null) {
                return null;
            }
            victim = victim();
            victim.pid = pid;
            victim.dirty = false;
            table.put(key, victim);
        } finally {
            missLock.unlock();
        }
        try {
            transfer(victim, pid, false);
        } catch (final UncheckedIOException e) {
            missLock.lock();
            try {
                table.remove(key);
                victim.pid = -1;
            } finally {
                missLock.unlock();
            }
            victim.latch = 0;
            throw e;
        }
        victim.referenced = true;
        if (!exclusive) {
            victim.latch = 1;
        }
        return victim;
    }

    /** Under the miss lock: a frame latched exclusively, its old page written back if dirty and out of the table. */
    private Frame victim() {
        if (used < frames.length) {
            final Frame f = frames[used++];
            LATCH.compareAndSet(f, 0, -1);
            return f;
        }
        for (;;) {
            final Frame f = frames[hand];
            hand = hand + 1 == frames.length ? 0 : hand + 1;
            if (f.referenced) {
                f.referenced = false;
                continue;
            }
            if (!LATCH.compareAndSet(f, 0, -1)) {
                continue;
            }
            if (f.dirty) {
                try {
                    transfer(f, f.pid, true);
                } catch (final UncheckedIOException e) {
                    f.latch = 0;
                    throw e;
                }
                f.dirty = false;
            }
            if (f.pid >= 0) {
                table.remove(keys[(int) f.pid]);
            }
            return f;
        }
    }

    /** Reads page {@code pid} into the frame, or writes the frame to it; the caller holds the frame exclusively. */
    private void transfer(final Frame f, final long pid, final boolean write) {
        final ByteBuffer view = f.view.clear();
        final long position = pid * pageSize;
        try {
            while (view.hasRemaining()) {
                final int n = write ? channel.write(view, position + view.position())
                        : channel.read(view, position + view.position());
                if (n < 0) {
                    throw new UncheckedIOException(new IOException("page " + pid + " beyond the end of the file"));
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public long heldBytes() {
        missLock.lock();
        try {
            return used * pageSize;
        } finally {
            missLock.unlock();
        }
    }

    @Override
    public void close() {
        try {
            for (final Frame f : frames) {
                if (f.dirty && f.pid >= 0) {
                    transfer(f, f.pid, true);
                    f.dirty = false;
                }
            }
            channel.close();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            heap.close();
        }
    }
}
