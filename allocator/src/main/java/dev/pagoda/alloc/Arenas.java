package dev.pagoda.alloc;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The arenas of a {@link PageHeap} and the two maps between their addresses and the page allocator's page
 * indexes.
 *
 * <p>Arena {@code i} (its slot) owns page indexes {@code [i * slotPages, i * slotPages + pagesPerArena)}, where
 * {@code slotPages} is the power of two above {@code pagesPerArena} plus a chunk (so a page index maps to its
 * slot with a shift). The chunks of a slot past the arena's pages are never grown and count as allocated, so
 * the page allocator cannot find a run that crosses from one arena into the next (arenas are aligned to their
 * size but not adjacent). Address to arena is a lock-free
 * lookup in a two-level table indexed by {@code address >>> log2(arenaBytes)}, like Go's {@code arenas}
 * array; page index to arena is a division. Arenas are added under the heap lock and published with
 * volatile writes, so lookups need no lock.
 */
final class Arenas {
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
    static final class Arena {
        final long base;
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

        Arena(final long base, final long firstPage, final int pages) {
            this.base = base;
            this.firstPage = firstPage;
            this.runs = new int[RUNS_PAD + pages];
        }
    }

    private final int pageShift;
    private final int arenaShift;
    final long pagesPerArena;
    final long slotPages;
    private final int slotShift;
    private final AtomicReferenceArray<AtomicReferenceArray<Arena>> table;
    private volatile Arena[] bySlot = new Arena[0];

    Arenas(final int pageShift, final int arenaShift) {
        this.pageShift = pageShift;
        this.arenaShift = arenaShift;
        this.pagesPerArena = 1L << (arenaShift - pageShift);
        this.slotShift = 64 - Long.numberOfLeadingZeros(pagesPerArena + PageAlloc.CHUNK_PAGES - 1);
        this.slotPages = 1L << slotShift;
        this.table = new AtomicReferenceArray<>(1 << Math.max(0, ADDRESS_BITS - arenaShift - LEAF_BITS));
    }

    /** Registers an arena at {@code base} in the next slot; called under the heap lock. */
    Arena add(final long base) {
        final Arena[] old = bySlot;
        final Arena arena = new Arena(base, old.length * slotPages, (int) pagesPerArena);
        final long key = base >>> arenaShift;
        final int l1 = (int) (key >>> LEAF_BITS);
        AtomicReferenceArray<Arena> leaf = table.get(l1);
        if (leaf == null) {
            leaf = new AtomicReferenceArray<>(1 << LEAF_BITS);
            table.set(l1, leaf);
        }
        leaf.set((int) (key & ((1 << LEAF_BITS) - 1)), arena);
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
        if (l1 >= table.length()) {
            return null;
        }
        final AtomicReferenceArray<Arena> leaf = table.get((int) l1);
        return leaf == null ? null : leaf.get((int) (key & ((1 << LEAF_BITS) - 1)));
    }

    /** The arena owning page index {@code page}. */
    Arena ofPage(final long page) {
        return bySlot[(int) (page >>> slotShift)];
    }

    /** The address of page index {@code page}. */
    long addressOf(final long page) {
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
}
