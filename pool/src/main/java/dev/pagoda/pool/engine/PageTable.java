package dev.pagoda.pool.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One entry per page id, off the Java heap: the page's {@linkplain PageState state word} and, while it is resident,
 * the clock slot that holds it. The entries live in memory the pool reserves for all {@code maxPages} at once and
 * maps as pages are allocated, so a pool of a billion pages costs its entries only for the pages it has; the OS
 * hands them out zeroed, which is EVICTED at version 0.
 *
 * <pre>
 *   entry of page p, at p × 16:   ┌─────────────────┬──────────┬──────────┐
 *                                 │ state word (8)  │ slot (4) │ spare (4)│
 *                                 └─────────────────┴──────────┴──────────┘
 * </pre>
 *
 * The state word is read and changed only through the atomic accessors here; the slot is written by the one thread
 * that holds the page exclusively (the loader, then the evictor) and read by the evictor under the same hold. Every
 * access goes through a segment scoped to the pool's shared arena, so after {@code close()} it throws
 * {@link IllegalStateException} instead of touching unmapped memory.
 */
public final class PageTable {
    /** Bytes per entry. */
    public static final int ENTRY_BYTES = 16;
    private static final long SLOT_OFFSET = 8;
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();

    private final MemorySegment entries;

    /**
     * A table over {@code entries}, one entry per page id from 0.
     *
     * @param entries the mapped entries, zero where never written
     */
    public PageTable(final MemorySegment entries) {
        this.entries = entries;
    }

    /**
     * The state word, read with volatile semantics.
     *
     * @param pid the page id
     * @return its state word
     */
    public long state(final long pid) {
        return (long) WORD.getVolatile(entries, pid * ENTRY_BYTES);
    }

    /**
     * Replaces the state word if it still is {@code expected}.
     *
     * @param pid      the page id
     * @param expected the word the caller read
     * @param next     the word to store
     * @return true if the word was {@code expected} and is now {@code next}
     */
    public boolean cas(final long pid, final long expected, final long next) {
        return (boolean) WORD.compareAndSet(entries, pid * ENTRY_BYTES, expected, next);
    }

    /**
     * Stores the state word with release semantics: what the holder wrote to the frame before is visible to whoever
     * reads this word. Only the exclusive holder may do this.
     *
     * @param pid  the page id
     * @param next the word to store
     */
    public void release(final long pid, final long next) {
        WORD.setRelease(entries, pid * ENTRY_BYTES, next);
    }

    /**
     * The clock slot of a resident page; meaningful only to a thread that holds the page exclusively.
     *
     * @param pid the page id
     * @return its slot
     */
    public int slot(final long pid) {
        return entries.get(ValueLayout.JAVA_INT, pid * ENTRY_BYTES + SLOT_OFFSET);
    }

    /**
     * Records the clock slot of a page the caller holds exclusively.
     *
     * @param pid  the page id
     * @param slot its slot
     */
    public void slot(final long pid, final int slot) {
        entries.set(ValueLayout.JAVA_INT, pid * ENTRY_BYTES + SLOT_OFFSET, slot);
    }
}
