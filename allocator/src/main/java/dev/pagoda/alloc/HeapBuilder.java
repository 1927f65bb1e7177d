package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;

/**
 * Configures a {@link Heap}: {@code Heap.builder()...build()}. The settings are those of the {@link PageHeap}
 * underneath (the heap's pages are 8 KiB, which its size classes are tuned for, or the OS page size where that
 * is larger); every setter checks its argument at once.
 */
public final class HeapBuilder {
    private final PageHeapBuilder pages = PageHeap.builder().pageSize(8192);

    HeapBuilder() {
    }

    /**
     * The OS-memory layer to build on; {@link OsMemory#system()} by default.
     *
     * @param os the layer; a simulated one needs {@code zeroing(false)} and its addresses must not be touched
     * @return this builder
     */
    public HeapBuilder os(final OsMemory os) {
        pages.os(os);
        return this;
    }

    /**
     * The size of the arenas the heap reserves as it grows.
     *
     * @param bytes a power of two of at least 4 MiB; 64 MiB by default
     * @return this builder
     * @throws IllegalArgumentException if not a power of two of at least 4 MiB
     */
    public HeapBuilder arenaBytes(final long bytes) {
        if (bytes < (4L << 20)) {
            throw new IllegalArgumentException("arenaBytes must be a power of two from 4 MiB to 2^40: arenaBytes="
                    + bytes);
        }
        pages.arenaBytes(bytes);
        return this;
    }

    /**
     * The most address space the heap may reserve.
     *
     * @param bytes a positive number of bytes; 256 GiB by default
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public HeapBuilder addressSpaceBudget(final long bytes) {
        pages.addressSpaceBudget(bytes);
        return this;
    }

    /**
     * Whether allocations are zeroed. Off, allocation skips zeroing entirely (like {@code malloc}).
     *
     * @param zero true by default
     * @return this builder
     */
    public HeapBuilder zeroing(final boolean zero) {
        pages.zeroing(zero);
        return this;
    }

    /**
     * The hard limit on Ready bytes: beyond it an allocation first releases free pages, then throws
     * {@link PagodaOutOfMemoryError}; changeable later with {@link Heap#memoryLimit(long)}.
     *
     * @param bytes a positive limit; {@link Long#MAX_VALUE}, the default, for none
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public HeapBuilder memoryLimit(final long bytes) {
        pages.memoryLimit(bytes);
        return this;
    }

    /**
     * Creates the heap. Nothing is reserved until the first allocation.
     *
     * @return the heap
     * @throws IllegalArgumentException if zeroing is asked of a simulated OS
     */
    public Heap build() {
        return new Heap(this);
    }

    PageHeapBuilder pages() {
        return pages;
    }
}
