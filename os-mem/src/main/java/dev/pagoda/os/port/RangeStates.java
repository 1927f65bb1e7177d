package dev.pagoda.os.port;

import java.util.Arrays;

/**
 * An ordered map from address ranges to small integer codes, kept as maximal runs: adjacent runs never share a
 * code, and code {@link #ABSENT} (everything not in the map) is never stored.
 *
 * <p>{@link dev.pagoda.os.OsMemory} keeps the {@link dev.pagoda.os.MemState} of every page it owns here (code =
 * ordinal); the simulated kernel keeps page protections. Runs are half-open {@code [start, end)}.
 *
 * <p><b>Representation.</b> The runs are the nodes of a treap (a binary search tree on the run's start that is also a
 * heap on a random priority, so its expected depth is logarithmic) stored in parallel primitive arrays, children as
 * indices, freed nodes on a free list. Every operation is {@code O(log runs + runs touched)} and allocates nothing
 * once the arrays have grown to the most runs ever held: a buffer pool makes and releases a frame per miss, and its
 * state bookkeeping must not turn every miss into garbage (a {@code TreeMap} of boxed starts cost ~1.8 KB per miss).
 * Only {@link #firstOutside} allocates, and only for the run it reports, which the caller turns into an exception.
 *
 * <p>Not thread-safe: callers lock.
 */
public final class RangeStates {
    /** The code of every address not in the map. */
    public static final int ABSENT = 0;

    /**
     * One run {@code [start, end)} with a code.
     *
     * @param start the first address of the run
     * @param end   the address just past the run
     * @param code  the code of every address in it
     */
    public record Run(long start, long end, int code) {
        /**
         * The run's size.
         *
         * @return {@code end - start}
         */
        public long length() {
            return end - start;
        }
    }

    /** Index 0 is no node. */
    private static final int NIL = 0;

    private long[] starts = new long[16];
    private long[] ends = new long[16];
    private int[] codes = new int[16];
    private int[] left = new int[16];
    private int[] right = new int[16];
    private int[] priorities = new int[16];
    private int root = NIL;
    /** Freed nodes, linked through {@link #left}. */
    private int free = NIL;
    /** The next node never used. */
    private int fresh = 1;
    private int runs;
    private int seed = 0x2545_F491;
    /** The two halves {@link #split} returns. */
    private int below;
    private int above;

    /** An empty map: every address is {@link #ABSENT}. */
    public RangeStates() {
    }

    /**
     * The code at {@code address}.
     *
     * @param address any address
     * @return its code, {@link #ABSENT} if it is in no run
     */
    public int codeAt(final long address) {
        final int n = floor(address);
        return n != NIL && ends[n] > address ? codes[n] : ABSENT;
    }

    /**
     * Bytes of {@code [start, end)} whose code is {@code code}.
     *
     * @param start the first address of the range
     * @param end   the address just past the range
     * @param code  the code to count, {@link #ABSENT} included
     * @return the number of bytes
     */
    public long bytesWith(final long start, final long end, final int code) {
        long covered = 0;
        long bytes = 0;
        for (int n = firstOverlapping(start, end); n != NIL && starts[n] < end; n = higher(starts[n])) {
            final long overlap = Math.min(end, ends[n]) - Math.max(start, starts[n]);
            covered += overlap;
            if (codes[n] == code) {
                bytes += overlap;
            }
        }
        return code == ABSENT ? (end - start) - covered : bytes;
    }

    /**
     * Subtracts, for every run overlapping {@code [start, end)}, the bytes of the overlap from
     * {@code perCode[code]}. Gaps count nothing.
     *
     * @param start   the first address of the range
     * @param end     the address just past the range
     * @param perCode byte counts indexed by code
     */
    public void subtractBytes(final long start, final long end, final long[] perCode) {
        for (int n = firstOverlapping(start, end); n != NIL && starts[n] < end; n = higher(starts[n])) {
            perCode[codes[n]] -= Math.min(end, ends[n]) - Math.max(start, starts[n]);
        }
    }

    /**
     * The first sub-range of {@code [start, end)} whose code is not in {@code allowedMask} (bit {@code 1 << code}),
     * or null if every address qualifies.
     *
     * @param start       the first address of the range
     * @param end         the address just past the range
     * @param allowedMask bit {@code 1 << code} set for every allowed code
     * @return the first offending run, clipped to the range, or null
     */
    public Run firstOutside(final long start, final long end, final int allowedMask) {
        final boolean gapsAllowed = (allowedMask & (1 << ABSENT)) != 0;
        long cursor = start;
        for (int n = firstOverlapping(start, end); n != NIL && starts[n] < end; n = higher(starts[n])) {
            if (starts[n] > cursor && !gapsAllowed) {
                return new Run(cursor, starts[n], ABSENT);
            }
            if ((allowedMask & (1 << codes[n])) == 0) {
                return new Run(Math.max(start, starts[n]), Math.min(end, ends[n]), codes[n]);
            }
            cursor = ends[n];
        }
        return cursor < end && !gapsAllowed ? new Run(cursor, end, ABSENT) : null;
    }

    /**
     * Gives every address of {@code [start, end)} the code {@code code}, merging with equal neighbours.
     *
     * @param start the first address of the range
     * @param end   the address just past the range
     * @param code  the new code; {@link #ABSENT} removes the range from the map
     */
    public void assign(final long start, final long end, final int code) {
        if (start >= end) {
            return;
        }
        cut(start);
        cut(end);
        split(root, start);
        int low = below;
        split(above, end);
        final int middle = below;
        int high = above;
        release(middle);
        if (code != ABSENT) {
            final int pred = last(low);
            final int succ = first(high);
            final boolean joinPred = pred != NIL && ends[pred] == start && codes[pred] == code;
            final boolean joinSucc = succ != NIL && starts[succ] == end && codes[succ] == code;
            if (joinPred && joinSucc) {
                ends[pred] = ends[succ];
                high = removeFirst(high);
            } else if (joinPred) {
                ends[pred] = end;
            } else if (joinSucc) {
                starts[succ] = start; // still the least key of high, and above every key of low
            } else {
                low = merge(low, node(start, end, code));
            }
        }
        root = merge(low, high);
    }

    /** Number of stored runs (absent gaps excluded). */
    int runCount() {
        return runs;
    }

    // -----------------------------------------------------------------------------------------------------------
    // The treap.

    /** Splits the run that straddles {@code at}, if one does, into two runs with its code. */
    private void cut(final long at) {
        final int n = floor(at);
        if (n != NIL && starts[n] < at && at < ends[n]) {
            final int tail = node(at, ends[n], codes[n]);
            ends[n] = at;
            split(root, at);
            root = merge(merge(below, tail), above);
        }
    }

    /** The run with the greatest start at or below {@code key}, or NIL. */
    private int floor(final long key) {
        int best = NIL;
        for (int t = root; t != NIL; ) {
            if (starts[t] <= key) {
                best = t;
                t = right[t];
            } else {
                t = left[t];
            }
        }
        return best;
    }

    /** The run with the least start at or above {@code key}, or NIL. */
    private int ceiling(final long key) {
        int best = NIL;
        for (int t = root; t != NIL; ) {
            if (starts[t] >= key) {
                best = t;
                t = left[t];
            } else {
                t = right[t];
            }
        }
        return best;
    }

    /** The run with the least start above {@code key}, or NIL. */
    private int higher(final long key) {
        return key == Long.MAX_VALUE ? NIL : ceiling(key + 1);
    }

    /** The first run that overlaps {@code [start, end)}, or one starting at or after {@code end}, or NIL. */
    private int firstOverlapping(final long start, final long end) {
        final int n = floor(start);
        return n != NIL && ends[n] > start ? n : ceiling(start);
    }

    /** Splits tree {@code t} into the runs starting below {@code key} ({@link #below}) and the rest ({@link #above}). */
    private void split(final int t, final long key) {
        if (t == NIL) {
            below = NIL;
            above = NIL;
        } else if (starts[t] < key) {
            split(right[t], key);
            right[t] = below;
            below = t;
        } else {
            split(left[t], key);
            left[t] = above;
            above = t;
        }
    }

    /** Joins two trees, every start of {@code a} below every start of {@code b}. */
    private int merge(final int a, final int b) {
        if (a == NIL) {
            return b;
        }
        if (b == NIL) {
            return a;
        }
        if (priorities[a] > priorities[b]) {
            right[a] = merge(right[a], b);
            return a;
        }
        left[b] = merge(a, left[b]);
        return b;
    }

    private int first(final int t) {
        int n = t;
        while (n != NIL && left[n] != NIL) {
            n = left[n];
        }
        return n;
    }

    private int last(final int t) {
        int n = t;
        while (n != NIL && right[n] != NIL) {
            n = right[n];
        }
        return n;
    }

    /** Removes the least run of tree {@code t}; its right subtree takes its place, which keeps the heap order. */
    private int removeFirst(final int t) {
        if (left[t] == NIL) {
            final int rest = right[t];
            recycle(t);
            return rest;
        }
        int parent = t;
        while (left[left[parent]] != NIL) {
            parent = left[parent];
        }
        final int least = left[parent];
        left[parent] = right[least];
        recycle(least);
        return t;
    }

    /** Frees every node of tree {@code t}. */
    private void release(final int t) {
        if (t != NIL) {
            release(left[t]);
            release(right[t]);
            recycle(t);
        }
    }

    private int node(final long start, final long end, final int code) {
        final int n;
        if (free != NIL) {
            n = free;
            free = left[n];
        } else {
            if (fresh == starts.length) {
                grow();
            }
            n = fresh++;
        }
        starts[n] = start;
        ends[n] = end;
        codes[n] = code;
        left[n] = NIL;
        right[n] = NIL;
        seed ^= seed << 13; // xorshift32: a cheap, never-zero sequence of priorities
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        priorities[n] = seed;
        runs++;
        return n;
    }

    private void recycle(final int n) {
        left[n] = free;
        free = n;
        runs--;
    }

    private void grow() {
        final int size = starts.length * 2;
        starts = Arrays.copyOf(starts, size);
        ends = Arrays.copyOf(ends, size);
        codes = Arrays.copyOf(codes, size);
        left = Arrays.copyOf(left, size);
        right = Arrays.copyOf(right, size);
        priorities = Arrays.copyOf(priorities, size);
    }
}
