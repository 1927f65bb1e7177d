package dev.pagoda.os.port;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An ordered map from address ranges to small integer codes, kept as maximal runs: adjacent runs never
 * share a code, and code {@link #ABSENT} (everything not in the map) is never stored.
 *
 * <p>{@link dev.pagoda.os.OsMemory} keeps the {@link dev.pagoda.os.MemState} of every page it owns here (code = ordinal, plus
 * the {@link #BUSY} flag for ranges with a system call in flight); the simulated kernel keeps page protections.
 * Runs are half-open {@code [start, end)}. Every operation is {@code O(log runs + runs touched)}.
 * Not thread-safe: callers lock.
 */
public final class RangeStates {
    /** The code of every address not in the map. */
    public static final int ABSENT = 0;
    /** Flag or-ed onto the code of a range whose transition is in flight; the low bits keep its old code. */
    public static final int BUSY = 8;

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

    private final TreeMap<Long, Run> runs = new TreeMap<>();

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
        final Map.Entry<Long, Run> e = runs.floorEntry(address);
        return e != null && e.getValue().end > address ? e.getValue().code : ABSENT;
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
        if (code == ABSENT) {
            long covered = 0;
            for (final Run r : overlapping(start, end)) {
                covered += Math.min(end, r.end) - Math.max(start, r.start);
            }
            return (end - start) - covered;
        }
        long bytes = 0;
        for (final Run r : overlapping(start, end)) {
            if (r.code == code) {
                bytes += Math.min(end, r.end) - Math.max(start, r.start);
            }
        }
        return bytes;
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
        long cursor = start;
        for (final Run r : overlapping(start, end)) {
            if (r.start > cursor && (allowedMask & (1 << ABSENT)) == 0) {
                return new Run(cursor, r.start, ABSENT);
            }
            if ((allowedMask & (1 << r.code)) == 0) {
                return new Run(Math.max(start, r.start), Math.min(end, r.end), r.code);
            }
            cursor = r.end;
        }
        if (cursor < end && (allowedMask & (1 << ABSENT)) == 0) {
            return new Run(cursor, end, ABSENT);
        }
        return null;
    }

    /**
     * The runs of {@code [start, end)}, clipped to it, absent gaps included, in address order.
     *
     * @param start the first address of the range
     * @param end   the address just past the range
     * @return the runs covering exactly the range
     */
    public List<Run> snapshot(final long start, final long end) {
        final List<Run> out = new ArrayList<>();
        long cursor = start;
        for (final Run r : overlapping(start, end)) {
            if (r.start > cursor) {
                out.add(new Run(cursor, r.start, ABSENT));
            }
            out.add(new Run(Math.max(start, r.start), Math.min(end, r.end), r.code));
            cursor = Math.min(end, r.end);
        }
        if (cursor < end) {
            out.add(new Run(cursor, end, ABSENT));
        }
        return out;
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
        // Split the runs that straddle the boundaries, then drop everything inside.
        split(start);
        split(end);
        runs.subMap(start, true, end, false).clear();
        if (code == ABSENT) {
            return;
        }
        long s = start;
        long e = end;
        final Map.Entry<Long, Run> before = runs.lowerEntry(start);
        if (before != null && before.getValue().end == start && before.getValue().code == code) {
            s = before.getValue().start;
            runs.remove(before.getKey());
        }
        final Run after = runs.get(end);
        if (after != null && after.code == code) {
            e = after.end;
            runs.remove(end);
        }
        runs.put(s, new Run(s, e, code));
    }

    /**
     * Puts back runs taken by {@link #snapshot}.
     *
     * @param snapshot the runs to restore
     */
    public void restore(final List<Run> snapshot) {
        for (final Run r : snapshot) {
            assign(r.start, r.end, r.code);
        }
    }

    /** Number of stored runs (absent gaps excluded). */
    int runCount() {
        return runs.size();
    }

    /** All stored runs in address order. */
    List<Run> all() {
        return new ArrayList<>(runs.values());
    }

    private void split(final long at) {
        final Map.Entry<Long, Run> e = runs.floorEntry(at);
        if (e == null) {
            return;
        }
        final Run r = e.getValue();
        if (r.start < at && at < r.end) {
            runs.put(r.start, new Run(r.start, at, r.code));
            runs.put(at, new Run(at, r.end, r.code));
        }
    }

    private Iterable<Run> overlapping(final long start, final long end) {
        final Map.Entry<Long, Run> first = runs.floorEntry(start);
        final long from = first != null && first.getValue().end > start ? first.getKey() : start;
        return runs.subMap(from, true, end, false).values();
    }
}
