package dev.pagoda.bench.workload;

import java.util.List;

/**
 * One allocator as the workloads drive it: blocks are named by {@code long} handles, which are addresses for
 * the allocators that have them and indexes into a {@link HandleTable} for those that hand out objects.
 *
 * <p>Implementations are thread-safe: any thread may allocate, and a block may be freed on another thread than
 * the one that allocated it, once the workload has passed its handle over with a happens-before edge.
 */
public interface AllocatorUnderTest extends AutoCloseable {
    /** The names {@link #named(String)} accepts. */
    List<String> NAMES = List.of("pagoda", "pagoda-10pct", "pagoda-nozero", "netty-pooled", "netty-adaptive",
            "malloc", "calloc", "bytebuffer");

    /**
     * The allocator called {@code name}.
     *
     * @param name one of {@link #NAMES}
     * @return a new allocator
     * @throws IllegalArgumentException if the name is unknown
     */
    static AllocatorUnderTest named(final String name) {
        return switch (name) {
            case "pagoda" -> AddressAllocator.pagoda("pagoda", null);
            case "pagoda-10pct" -> AddressAllocator.pagoda("pagoda-10pct", "10");
            case "pagoda-nozero" -> AddressAllocator.pagodaNoZero();
            case "netty-pooled" -> NettyAllocator.pooled();
            case "netty-adaptive" -> NettyAllocator.adaptive();
            case "malloc" -> AddressAllocator.malloc();
            case "calloc" -> AddressAllocator.calloc();
            case "bytebuffer" -> new DirectBufferAllocator();
            default -> throw new IllegalArgumentException("unknown allocator " + name + "; known: " + NAMES);
        };
    }

    /**
     * What the allocator holds, for the workloads' end-of-run line on standard error: a Pagoda heap's statistics;
     * empty for allocators that keep no such figures.
     *
     * @return one line, or an empty string
     */
    default String memoryReport() {
        return "";
    }

    /**
     * Whether the allocator called {@code name} hands out zeroed memory, so that it is compared with its kind.
     *
     * @param name one of {@link #NAMES}
     * @return true for Pagoda's default heaps, {@code calloc} and {@code ByteBuffer.allocateDirect}
     */
    static boolean zeroes(final String name) {
        return switch (name) {
            case "pagoda", "pagoda-10pct", "calloc", "bytebuffer" -> true;
            default -> false;
        };
    }

    /**
     * What the allocator called {@code name} does differently from the others, for the notes under a summary.
     *
     * @param name    one of {@link #NAMES}
     * @param aligned whether the workload asks for aligned blocks
     * @return a sentence, or the empty string if there is nothing to say
     */
    static String caveat(final String name, final boolean aligned) {
        return switch (name) {
            case "netty-pooled", "netty-adaptive" -> aligned ? name + ": no alignment is offered; pages are "
                    + "direct ByteBufs of the size asked for, at whatever address the pool has" : "";
            case "bytebuffer" -> name + ": no free; a release drops the reference and the memory goes back when "
                    + "the GC runs the buffer's cleaner" + (aligned ? "; an aligned block is alignedSlice() of a "
                    + "buffer alignment - 1 bytes larger" : "");
            case "malloc" -> aligned ? name + ": aligned blocks come from posix_memalign" : "";
            default -> "";
        };
    }

    /**
     * The allocator's name, one of {@link #NAMES}.
     *
     * @return the name
     */
    String name();

    /**
     * Allocates a block, aligned as the allocator aligns by default.
     *
     * @param size the bytes wanted, at least 1
     * @return the block's handle, at least 0
     */
    long allocate(int size);

    /**
     * Allocates a block at a multiple of {@code alignment}, if the allocator can.
     *
     * @param size      the bytes wanted, at least 1
     * @param alignment a power of two
     * @return the block's handle, at least 0
     * @throws UnsupportedOperationException if the allocator has no aligned allocation
     */
    long allocate(int size, int alignment);

    /**
     * The address of a block's first byte.
     *
     * @param handle a handle from {@code allocate}, not freed
     * @return the address
     */
    long address(long handle);

    /**
     * Writes one byte of a block, so that the page holding it becomes resident.
     *
     * @param handle a handle from {@code allocate}, not freed
     * @param offset the byte's offset in the block, below the size asked for
     */
    default void touch(final long handle, final int offset) {
        OffHeap.putByte(address(handle) + offset, (byte) 1);
    }

    /**
     * Frees a block.
     *
     * @param handle a handle from {@code allocate}, not freed
     */
    void free(long handle);

    /** Gives the allocator's memory back, all at once, when the workload has finished. */
    @Override
    void close();
}
