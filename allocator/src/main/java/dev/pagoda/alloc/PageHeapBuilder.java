package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;

import java.util.Objects;

/**
 * Configures a {@link PageHeap}: {@code PageHeap.builder()...build()}. Every setter checks its argument at
 * once; {@link #build()} checks the combination against the OS layer.
 */
public final class PageHeapBuilder {
    private OsMemory os;
    private long pageSize = 8192;
    private long arenaBytes = 64L << 20;
    private long budget = 256L << 30;
    private boolean zeroing = true;
    private boolean pageCaches = true;
    private long memoryLimit = Long.MAX_VALUE;
    private boolean guardPages;

    PageHeapBuilder() {
    }

    /**
     * The OS-memory layer to build on; {@link OsMemory#system()} by default.
     *
     * @param os the layer, e.g. {@link OsMemory#simulated()} for tests (then also {@code zeroing(false)})
     * @return this builder
     */
    public PageHeapBuilder os(final OsMemory os) {
        this.os = Objects.requireNonNull(os, "os");
        return this;
    }

    /**
     * The page size: a power of two, at least the OS page size (checked at build).
     *
     * @param bytes the page size; 8 KiB by default
     * @return this builder
     * @throws IllegalArgumentException if not a power of two from 4096 to 1 GiB
     */
    public PageHeapBuilder pageSize(final long bytes) {
        if (bytes < 4096 || Long.bitCount(bytes) != 1 || bytes > (1L << 30)) {
            throw new IllegalArgumentException("pageSize must be a power of two from 4096 to 1 GiB: pageSize="
                    + bytes);
        }
        this.pageSize = bytes;
        return this;
    }

    /**
     * The arena size: a power of two, at least one chunk of 512 pages (checked at build).
     *
     * @param bytes the arena size; 64 MiB by default
     * @return this builder
     * @throws IllegalArgumentException if not a power of two up to 2<sup>40</sup>
     */
    public PageHeapBuilder arenaBytes(final long bytes) {
        if (bytes <= 0 || Long.bitCount(bytes) != 1 || bytes > (1L << 40)) {
            throw new IllegalArgumentException("arenaBytes must be a power of two up to 2^40: arenaBytes=" + bytes);
        }
        this.arenaBytes = bytes;
        return this;
    }

    /**
     * The most address space the heap may reserve, arenas and large runs together.
     *
     * @param bytes a positive number of bytes; 256 GiB by default
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public PageHeapBuilder addressSpaceBudget(final long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("addressSpaceBudget must be positive: addressSpaceBudget=" + bytes);
        }
        this.budget = bytes;
        return this;
    }

    /**
     * Whether runs are zeroed by default; callers may still opt out per call.
     *
     * @param zero true by default; must be false over a simulated OS
     * @return this builder
     */
    public PageHeapBuilder zeroing(final boolean zero) {
        this.zeroing = zero;
        return this;
    }

    /**
     * Whether platform threads get per-thread page caches.
     *
     * @param enabled true by default
     * @return this builder
     */
    public PageHeapBuilder pageCaches(final boolean enabled) {
        this.pageCaches = enabled;
        return this;
    }

    /**
     * The hard limit on Ready bytes (Go's memory limit, counted as its {@code mappedReady}); changeable later
     * with {@link PageHeap#memoryLimit(long)}.
     *
     * @param bytes a positive limit; {@link Long#MAX_VALUE}, the default, for none
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public PageHeapBuilder memoryLimit(final long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memoryLimit must be positive: memoryLimit=" + bytes);
        }
        this.memoryLimit = bytes;
        return this;
    }

    /**
     * Whether runs larger than an arena get a guard page range on each side that faults on access (a debug
     * aid: an overrun crashes at the faulting instruction instead of corrupting memory). Off by default.
     *
     * @param guards true to add guards
     * @return this builder
     */
    public PageHeapBuilder guardPages(final boolean guards) {
        this.guardPages = guards;
        return this;
    }

    /**
     * Creates the heap. Nothing is reserved until the first allocation.
     *
     * @return the heap
     * @throws IllegalArgumentException if the page size is below the OS page size, the arena is smaller
     *                                  than a chunk, or zeroing is asked of a simulated OS
     */
    public PageHeap build() {
        return new PageHeap(this);
    }


    OsMemory os() {
        return os;
    }

    long pageSize() {
        return pageSize;
    }

    long arenaBytes() {
        return arenaBytes;
    }

    long budget() {
        return budget;
    }

    boolean zeroing() {
        return zeroing;
    }

    boolean pageCaches() {
        return pageCaches;
    }

    long memoryLimit() {
        return memoryLimit;
    }

    boolean guardPages() {
        return guardPages;
    }
}
