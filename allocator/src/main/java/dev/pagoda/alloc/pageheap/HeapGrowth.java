package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.HugePageReport;
import dev.pagoda.alloc.events.HeapEvents;
import dev.pagoda.alloc.pagealloc.PageAlloc;
import dev.pagoda.os.OsMemory;

import java.util.concurrent.locks.ReentrantLock;

/**
 * How a {@code PageHeap} grows, after Go's {@code mheap.grow}: map the next unmapped chunks of an arena with room
 * (Reserved → Prepared), or reserve a new aligned arena within the address-space budget first, then hand the
 * chunks to the page allocator as free and released. Growth is serialised by its own lock (lock order: a page cache's
 * lock, then the grow lock, then the heap lock), passes the heap's {@link CloseGate}, and the system calls
 * run with the heap lock released, so allocations from free pages never wait for an {@code mmap}.
 */
final class HeapGrowth {
    private final ReentrantLock growLock = new ReentrantLock();
    private final ReentrantLock lock;
    private final PageAlloc pages;
    private final Arenas arenas;
    private final OsMemory os;
    private final AddressBudget budget;
    private final long arenaBytes;
    private final long chunkBytes;
    private final CloseGate gate;
    private final HugePageReport hugePages;
    private final String name;
    /**
     * The chunks being mapped right now, {@code {address, bytes}} ({0, 0} when none): Reserved until the {@code map}
     * returns, Prepared after, and not yet in the page allocator. Guarded by the heap lock, for the checker.
     */
    private long growingAddress;
    private long growingBytes;

    HeapGrowth(final ReentrantLock lock, final PageAlloc pages, final Arenas arenas, final OsMemory os,
               final AddressBudget budget, final long arenaBytes, final long chunkBytes, final CloseGate gate,
               final HugePageReport hugePages, final String name) {
        this.hugePages = hugePages;
        this.name = name;
        this.lock = lock;
        this.pages = pages;
        this.arenas = arenas;
        this.os = os;
        this.budget = budget;
        this.arenaBytes = arenaBytes;
        this.chunkBytes = chunkBytes;
        this.gate = gate;
    }

    /** Maps enough new chunks for a run of {@code npages}, reserving a new arena if no arena has room. */
    void grow(final long npages) {
        final int needChunks = (int) ((npages + PageAlloc.CHUNK_PAGES - 1) / PageAlloc.CHUNK_PAGES);
        final int chunksPerArena = (int) (arenas.pagesPerArena / PageAlloc.CHUNK_PAGES);
        gate.enter();
        growLock.lock();
        try {
            Arenas.Arena arena = null;
            lock.lock();
            try {
                if (pages.find(npages) >= 0) {
                    return; // another thread grew the heap meanwhile
                }
                for (final Arenas.Arena a : arenas.all()) {
                    if (chunksPerArena - a.grownChunks >= needChunks) {
                        arena = a;
                        break;
                    }
                }
            } finally {
                lock.unlock();
            }
            final boolean fresh = arena == null;
            if (fresh) {
                budget.charge(arenaBytes);
                arena = newArena();
            }
            final long firstChunk = arena.grownChunks;
            final long start = arena.base + firstChunk * chunkBytes;
            Locks.locked(lock, () -> growing(start, needChunks * chunkBytes));
            try {
                os.map(start, needChunks * chunkBytes);
            } catch (final RuntimeException e) {
                Locks.locked(lock, () -> growing(0, 0));
                throw budget.outOfMemory(needChunks * chunkBytes, e);
            }
            final Arenas.Arena grown = arena;
            Locks.locked(lock, () -> {
                growing(0, 0);
                grown.grownChunks += needChunks;
                pages.grow(grown.firstPage + firstChunk * PageAlloc.CHUNK_PAGES,
                        (long) needChunks * PageAlloc.CHUNK_PAGES);
            });
            // Advice after the chunks are the allocator's: a hint never changes a page's state, and if it throws
            // anyway the heap already knows every chunk it mapped.
            try {
                HugePages.advise(hugePages, os, start, needChunks * chunkBytes);
            } catch (final RuntimeException ignored) {
                // Hints are advisory, as in Go: the chunks work without them.
            }
            HeapEvents.growth(name, needChunks * chunkBytes, fresh);
        } finally {
            growLock.unlock();
            gate.exit();
        }
    }

    private void growing(final long address, final long bytes) {
        growingAddress = address;
        growingBytes = bytes;
    }

    /** The chunks being mapped, {@code {address, bytes}}, or {@code {0, 0}}; call with the heap lock held. */
    long[] growing() {
        return new long[] {growingAddress, growingBytes};
    }

    /** Reserves and registers a new arena; the budget was already charged. Called under the grow lock only. */
    private Arenas.Arena newArena() {
        final long base;
        try {
            base = os.reserveAligned(arenaBytes, arenaBytes);
        } catch (final RuntimeException e) {
            budget.refund(arenaBytes);
            throw budget.outOfMemory(arenaBytes, e);
        }
        lock.lock();
        try {
            pages.ensureCapacity(arenas.pagesFor(arenas.all().length + 1));
            return arenas.add(base);
        } finally {
            lock.unlock();
        }
    }

}
