package dev.pagoda.pool.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * A count that threads add to without an atomic instruction, for the pool's hits: every fix that finds its page
 * resident counts one, and a {@link java.util.concurrent.atomic.LongAdder} there would be a third compare-and-set on
 * a path whose only other costs are the two of the fix and the unfix.
 *
 * <p>Each thread counts in a cell of its own, which only it writes. A small table indexed by the thread's id finds
 * the cell with one load and an identity compare; a thread whose entry another thread holds finds its cell through a
 * {@link ThreadLocal} and takes the entry over, so two threads that share an entry stay correct and only pay the
 * slower lookup. {@link #sum} adds up every cell, and folds the cells of threads that have ended into a base: a thread's
 * end happens-before {@link Thread#isAlive()} returns false, so their last counts are seen whole and the sum is exact
 * for every increment that happened-before it. Cells live as long as their threads, about 32 bytes each; those of
 * ended threads are folded whenever the array of cells fills up, so a pool read by millions of short-lived (virtual)
 * threads keeps only the live ones, at an amortised constant cost per thread.
 *
 * <p>Allocates only on a thread's first increment. The monitor of {@link #cells} is a leaf.
 */
final class ThreadCounter {
    private static final int SLOTS = 64;
    private static final VarHandle COUNT;

    static {
        try {
            COUNT = MethodHandles.lookup().findVarHandle(Cell.class, "count", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One thread's count; written only by {@link #owner}, read by {@link #sum} with opaque reads. */
    private static final class Cell {
        final Thread owner;
        long count;

        Cell(final Thread owner) {
            this.owner = owner;
        }
    }

    /** The cache: entry {@code threadId & (SLOTS - 1)}; read and written without a lock (cells are immutable refs). */
    private final Cell[] table = new Cell[SLOTS];
    private final ThreadLocal<Cell> mine = new ThreadLocal<>();
    /** Cells {@code [0, live)} are those whose threads may still count; guarded by this object's monitor. */
    private Cell[] cells = new Cell[8];
    private int live;
    /** The counts of the threads that have ended. */
    private long base;

    /** Counts one for the calling thread. */
    void increment() {
        final Thread t = Thread.currentThread();
        final Cell c = table[(int) t.threadId() & (SLOTS - 1)];
        if (c != null && c.owner == t) {
            COUNT.setOpaque(c, c.count + 1);
        } else {
            slowIncrement(t);
        }
    }

    private void slowIncrement(final Thread t) {
        Cell c = mine.get();
        if (c == null) {
            c = new Cell(t);
            mine.set(c);
            register(c);
        }
        table[(int) t.threadId() & (SLOTS - 1)] = c;
        COUNT.setOpaque(c, c.count + 1);
    }

    /** Adds a thread's cell; when the array is full, first folds the cells of ended threads, then grows it. */
    private synchronized void register(final Cell c) {
        if (live == cells.length) {
            fold();
            if (live > cells.length / 2) {
                cells = Arrays.copyOf(cells, cells.length * 2);
            }
        }
        cells[live++] = c;
    }

    /** Moves the counts of ended threads into {@link #base} and drops their cells; holds the monitor. */
    private void fold() {
        int kept = 0;
        for (int i = 0; i < live; i++) {
            final Cell c = cells[i];
            if (c.owner.isAlive()) {
                cells[kept++] = c;
            } else {
                base += (long) COUNT.getOpaque(c);
            }
        }
        Arrays.fill(cells, kept, live, null);
        live = kept;
    }

    /**
     * The count: exact for every increment that happened-before this call, and for every increment of a thread that
     * has ended.
     *
     * @return the sum over all threads
     */
    synchronized long sum() {
        fold();
        long sum = base;
        for (int i = 0; i < live; i++) {
            sum += (long) COUNT.getOpaque(cells[i]);
        }
        return sum;
    }
}
