package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;

import java.util.Objects;

/** Configures a {@link Heap}: {@code Heap.builder()...build()}. Every setter checks its argument at once. */
public final class HeapBuilder {
    private OsMemory os;
    private long arenaBytes = 64L << 20;
    private long budget = 256L << 30;
    private boolean zeroing = true;
    private long memoryLimit = Long.MAX_VALUE;

    HeapBuilder() {
    }

    /**
     * The OS-memory layer to build on; {@link OsMemory#system()} by default.
     *
     * @param os the layer; a simulated one needs {@code zeroing(false)} and its addresses must not be touched
     * @return this builder
     */
    public HeapBuilder os(final OsMemory os) {
        this.os = Objects.requireNonNull(os, "os");
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
        if (bytes < (4L << 20) || Long.bitCount(bytes) != 1 || bytes > (1L << 40)) {
            throw new IllegalArgumentException("arenaBytes must be a power of two from 4 MiB to 2^40: arenaBytes="
                    + bytes);
        }
        this.arenaBytes = bytes;
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
        if (bytes <= 0) {
            throw new IllegalArgumentException("addressSpaceBudget must be positive: addressSpaceBudget=" + bytes);
        }
        this.budget = bytes;
        return this;
    }

    /**
     * Whether allocations are zeroed. Off, allocation skips zeroing entirely (like {@code malloc}).
     *
     * @param zero true by default
     * @return this builder
     */
    public HeapBuilder zeroing(final boolean zero) {
        this.zeroing = zero;
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
        if (bytes <= 0) {
            throw new IllegalArgumentException("memoryLimit must be positive: memoryLimit=" + bytes);
        }
        this.memoryLimit = bytes;
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

    OsMemory os() {
        return os;
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

    long memoryLimit() {
        return memoryLimit;
    }
}
