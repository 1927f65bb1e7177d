package dev.pagoda.pool.engine;

import java.util.Arrays;

/**
 * The clock's ring: one slot per resident page, holding its page id. A page takes a slot when it is loaded and gives
 * it back when it is evicted; freed slots are reused before new ones, so the ring is as long as the most pages ever
 * resident at once, never longer than the frame budget. The clock hand walks the ring, not the page ids, so eviction
 * costs the same whether the file has a thousand pages or a billion.
 *
 * <p>Arrays grow by doubling as the ring lengthens (12 bytes a resident page). Every method holds this object's
 * monitor, a leaf: nothing else is taken under it. The evictor reads the ring in windows ({@link #window}) so that
 * the monitor is held for a copy, never across a compare-and-set on a page or a system call.
 */
public final class FrameSlots {
    /** The page id of a slot nobody holds. */
    public static final long EMPTY = -1;

    private long[] pids = new long[64];
    private int[] free = new int[64];
    private int length;
    private int freeCount;
    private int resident;

    /** An empty ring. */
    public FrameSlots() {
        Arrays.fill(pids, EMPTY);
    }

    /**
     * Gives {@code pid} a slot.
     *
     * @param pid a page id that has none
     * @return its slot
     */
    public synchronized int add(final long pid) {
        final int slot;
        if (freeCount > 0) {
            slot = free[--freeCount];
        } else {
            if (length == pids.length) {
                final int n = pids.length * 2;
                pids = Arrays.copyOf(pids, n);
                Arrays.fill(pids, length, n, EMPTY);
                free = Arrays.copyOf(free, n);
            }
            slot = length++;
        }
        pids[slot] = pid;
        resident++;
        return slot;
    }

    /**
     * Frees a slot.
     *
     * @param slot a slot {@link #add} returned and nobody freed since
     * @throws IllegalStateException if the slot is empty (a bug of the caller)
     */
    public synchronized void remove(final int slot) {
        if (slot < 0 || slot >= length || pids[slot] == EMPTY) {
            throw new IllegalStateException("clock slot " + slot + " is not in use");
        }
        pids[slot] = EMPTY;
        free[freeCount++] = slot;
        resident--;
    }

    /**
     * The length of the ring: the slots ever used.
     *
     * @return the number of slots the clock walks
     */
    public synchronized int length() {
        return length;
    }

    /**
     * How many slots hold a page.
     *
     * @return the resident pages the ring knows
     */
    public synchronized int resident() {
        return resident;
    }

    /**
     * Copies the page ids of slots {@code [from, from + out.length)}, clipped to the ring.
     *
     * @param from the first slot
     * @param out  receives the page ids, {@link #EMPTY} for free slots
     * @return how many slots were copied, 0 past the end of the ring
     */
    public synchronized int window(final int from, final long[] out) {
        final int n = Math.max(0, Math.min(out.length, length - from));
        System.arraycopy(pids, from, out, 0, n);
        return n;
    }
}
