package dev.pagoda.alloc.pageheap;

import dev.pagoda.os.OsMemory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * OS pages released inside runs that stay allocated: the small-object engine gives back the pages of a span on
 * which no object lives while the span itself lives on, and makes them Ready again before an object on them is
 * handed out. The page allocator still counts those runs as allocated and resident; this registry is what the
 * statistics and the invariant checker subtract from it, so the OS layer's Ready and Prepared totals keep adding
 * up exactly.
 *
 * <p>Each transition follows the heap's rule for system calls: the range is recorded as moving under the heap
 * lock, the call is made with no lock held and inside the close gate, and the result is recorded under the lock
 * again. The caller guarantees that no two transitions of one range run at once (a span is changed only by the
 * thread that has claimed it). Guarded by the heap lock ({@link PageHeapEngine#lock()}), which it takes as a leaf.
 */
public final class InsideReleases {
    private final ReentrantLock lock;
    private final OsMemory os;
    private final CloseGate gate;
    /** The hard limit's path: making pages Ready again for an object counts against the memory limit. */
    private final Releaser releaser;
    /** Released ranges, address to bytes, disjoint; guarded by {@link #lock}. */
    private final TreeMap<Long, Long> released = new TreeMap<>();
    /** Ranges whose {@code unused} or {@code used} is under way, {@code [address, bytes, ...]}; guarded by {@link #lock}. */
    private final List<long[]> moving = new ArrayList<>(2);
    private long releasedBytes;
    private long movingBytes;

    InsideReleases(final ReentrantLock lock, final OsMemory os, final CloseGate gate, final Releaser releaser) {
        this.releaser = releaser;
        this.lock = lock;
        this.os = os;
        this.gate = gate;
    }

    /**
     * Releases {@code [address, address + bytes)}, Ready OS pages inside a live run on which nothing lives.
     *
     * @throws IllegalStateException if the heap is closed or closing
     * @throws dev.pagoda.os.OsMemoryException if the OS refused; the range stays Ready and unrecorded
     */
    public void release(final long address, final long bytes) {
        transition(address, bytes, true);
    }

    /**
     * Makes a range given to {@link #release} Ready again, before an object on it is handed out or its run goes
     * back to the page allocator.
     *
     * @param withinLimit whether the bytes must fit under the heap's memory limit first (an object about to be handed
     *                    out); false for a run going back to the page allocator, which only moves the books: its pages
     *                    were not touched, and the limit's path releases free pages first when it next needs room
     * @throws IllegalStateException if the heap is closed or closing
     * @throws dev.pagoda.alloc.PagodaOutOfMemoryError if {@code withinLimit} and the limit has no room; the range
     *                                                 stays released
     * @throws dev.pagoda.os.OsMemoryException if the OS refused; the range stays released
     */
    public void ready(final long address, final long bytes, final boolean withinLimit) {
        if (withinLimit) {
            releaser.reserveReady(bytes, false); // the caller may hold a shard's lock: caches are not flushed
        }
        transition(address, bytes, false);
    }

    private void transition(final long address, final long bytes, final boolean release) {
        gate.enter();
        try {
            final long[] range = {address, bytes};
            lock.lock();
            try {
                moving.add(range);
                movingBytes += bytes;
            } finally {
                lock.unlock();
            }
            boolean done = false;
            try {
                if (release) {
                    os.unused(address, bytes);
                } else {
                    os.used(address, bytes);
                }
                done = true;
            } finally {
                lock.lock();
                try {
                    moving.remove(range);
                    movingBytes -= bytes;
                    if (done) {
                        record(address, bytes, release);
                    }
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            gate.exit();
        }
    }

    /** Adds or removes a range exactly as released; called with the lock held. */
    private void record(final long address, final long bytes, final boolean release) {
        if (release) {
            released.put(address, bytes);
            releasedBytes += bytes;
            return;
        }
        // A range readied may be a part of one released, or span several: cut the released ones to fit.
        long at = address;
        final long end = address + bytes;
        final Map.Entry<Long, Long> before = released.floorEntry(at);
        if (before != null && before.getKey() + before.getValue() > at) {
            at = before.getKey();
        }
        for (Map.Entry<Long, Long> e = released.ceilingEntry(at); e != null && e.getKey() < end;
             e = released.ceilingEntry(e.getKey() + 1)) {
            final long start = e.getKey();
            final long stop = start + e.getValue();
            released.remove(start);
            releasedBytes -= e.getValue();
            if (start < address) {
                released.put(start, address - start);
                releasedBytes += address - start;
            }
            if (stop > end) {
                released.put(end, stop - end);
                releasedBytes += stop - end;
            }
        }
    }

    /**
     * Bytes released inside live runs now.
     *
     * @return the bytes, as recorded when their calls returned
     */
    public long releasedBytesNow() {
        lock.lock();
        try {
            return releasedBytes;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes released inside live runs; with the lock held. */
    long releasedBytes() {
        return releasedBytes;
    }

    /** Bytes whose transition is under way (either direction); with the lock held. */
    long movingBytes() {
        return movingBytes;
    }

    /** Bytes of {@code [address, address + bytes)} recorded as released; with the lock held. */
    long releasedIn(final long address, final long bytes) {
        long n = 0;
        final long end = address + bytes;
        final Map.Entry<Long, Long> before = released.floorEntry(address);
        long from = before != null ? before.getKey() : address;
        for (Map.Entry<Long, Long> e = released.ceilingEntry(from); e != null && e.getKey() < end;
             e = released.ceilingEntry(e.getKey() + 1)) {
            n += Math.max(0, Math.min(end, e.getKey() + e.getValue()) - Math.max(address, e.getKey()));
        }
        return n;
    }

    /** Whether part of {@code [address, address + bytes)} is moving; with the lock held. */
    boolean movingIn(final long address, final long bytes) {
        for (final long[] r : moving) {
            if (r[0] < address + bytes && address < r[0] + r[1]) {
                return true;
            }
        }
        return false;
    }
}
