package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.pagealloc.PageAlloc;
import java.util.Arrays;

/**
 * The arenas of a {@code PageHeap} and the two maps between their addresses and the page allocator's page
 * indexes.
 *
 * <p>Arena {@code i} (its slot) owns page indexes {@code [i * slotPages, i * slotPages + pagesPerArena)}, where
 * {@code slotPages} is the power of two above {@code pagesPerArena} plus a chunk (so a page index maps to its
 * slot with a shift). The chunks of a slot past the arena's pages are never grown and count as allocated, so
 * the page allocator cannot find a run that crosses from one arena into the next (arenas are aligned to their
 * size but not adjacent). Address to arena is a lock-free
 * lookup in a two-level table indexed by {@code address >>> log2(arenaBytes)}, like Go's {@code arenas}
 * array; page index to arena is a shift. Arenas are added under the heap lock; the slot array is published
 * with a volatile write, and the address table relies on the rule that an arena is registered before any of its
 * addresses is handed out (an address found nowhere is simply not this heap's).
 */
public final class Arenas {
    private static final int LEAF_BITS = 10;
    private static final int ADDRESS_BITS = 48;

    /**
     * Ints of padding before each arena's run table: the table's first entries would otherwise share a cache
     * line with the array's length, which every allocate and free on every thread reads for bounds checks,
     * while the owner of page 0's run writes them (measured: two threads sharing a heap ran at 60-90 ns per
     * cached allocate and free instead of about 35).
     */
    static final int RUNS_PAD = 16;

    /** One reserved arena: {@code arenaBytes} of address space whose chunks are mapped on demand. */
    public static final class Arena {
        /** The arena's first address. */
        public final long base;
        final long firstPage;
        /**
         * Run length at each run's first page ({@code runs[RUNS_PAD + page]}), 0 elsewhere; updated with CAS so
         * a double free is caught.
         */
        final int[] runs;
        /** Chunks mapped so far, from the bottom; changed only under the heap's grow lock. */
        int grownChunks;
        /** Page offset below which pages have been handed out at least once (Go's zeroedBase); heap lock. */
        long zeroedBase;
        /**
         * What each page belongs to in the layer above (the small-object span, for the {@code Heap}; null for page
         * runs). Typed {@code Object} so that this layer knows nothing of the one above. Written when a span is made
         * or dropped, before any of its addresses is handed out or after all are freed, so a reader that got an
         * address legitimately sees its span with a plain load.
         */
        public final Object[] owners;

        public Arena(final long base, final long firstPage, final int pages) {
            this.base = base;
            this.firstPage = firstPage;
            this.runs = new int[RUNS_PAD + pages];
            this.owners = new Object[pages];
        }
    }

    private final int pageShift;
    private final int arenaShift;
    final long pagesPerArena;
    final long slotPages;
    private final int slotShift;
    /**
     * Arena by {@code address >>> arenaShift}, two levels. Plain arrays: an arena is registered before any of its
     * addresses is handed out, so whoever holds an address legitimately sees its arena.
     */
    private final Arena[][] table;
    private volatile Arena[] bySlot = new Arena[0];

    Arenas(final int pageShift, final int arenaShift) {
        this.pageShift = pageShift;
        this.arenaShift = arenaShift;
        this.pagesPerArena = 1L << (arenaShift - pageShift);
        this.slotShift = 64 - Long.numberOfLeadingZeros(pagesPerArena + PageAlloc.CHUNK_PAGES - 1);
        this.slotPages = 1L << slotShift;
        this.table = new Arena[1 << Math.max(0, ADDRESS_BITS - arenaShift - LEAF_BITS)][];
    }

    /** Registers an arena at {@code base} in the next slot; called under the heap lock. */
    Arena add(final long base) {
        final Arena[] old = bySlot;
        final Arena arena = new Arena(base, old.length * slotPages, (int) pagesPerArena);
        final long key = base >>> arenaShift;
        final int l1 = (int) (key >>> LEAF_BITS);
        Arena[] leaf = table[l1];
        if (leaf == null) {
            leaf = new Arena[1 << LEAF_BITS];
            table[l1] = leaf;
        }
        leaf[(int) (key & ((1 << LEAF_BITS) - 1))] = arena;
        final Arena[] next = Arrays.copyOf(old, old.length + 1);
        next[old.length] = arena;
        bySlot = next;
        return arena;
    }

    /** The arena holding {@code address}, or null. */
    Arena ofAddress(final long address) {
        if (address <= 0) {
            return null;
        }
        final long key = address >>> arenaShift;
        final long l1 = key >>> LEAF_BITS;
        if (l1 >= table.length) {
            return null;
        }
        final Arena[] leaf = table[(int) l1];
        return leaf == null ? null : leaf[(int) (key & ((1 << LEAF_BITS) - 1))];
    }

    /** The arena owning page index {@code page}. */
    Arena ofPage(final long page) {
        return bySlot[(int) (page >>> slotShift)];
    }

    /** The address of page index {@code page}. */
    public long addressOf(final long page) {
        final Arena a = ofPage(page);
        return a.base + ((page - a.firstPage) << pageShift);
    }

    /** Page indexes needed to cover {@code slots} arenas. */
    long pagesFor(final int slots) {
        return slots * slotPages;
    }

    /** All arenas in slot order (a snapshot). */
    Arena[] all() {
        return bySlot;
    }

    /** The mapped part of every arena, as {@code [base, bytes, ...]} pairs; call with the heap lock held. */
    long[] grownRanges(final long chunkBytes) {
        final long[] out = new long[bySlot.length * 2];
        int n = 0;
        for (final Arena a : bySlot) {
            if (a.grownChunks > 0) {
                out[n++] = a.base;
                out[n++] = a.grownChunks * chunkBytes;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
