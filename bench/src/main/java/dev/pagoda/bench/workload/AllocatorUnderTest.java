package dev.pagoda.bench.workload;

import java.util.List;

/**
 * One allocator as the burst-then-idle workload drives it: blocks are named by {@code long} handles, which are
 * addresses for the allocators that have them and indexes for those that hand out objects.
 *
 * <p>Implementations are used by one thread, the workload's; they need not be thread-safe.
 */
public interface AllocatorUnderTest extends AutoCloseable {
    /** The names {@link #named(String)} accepts, in the order the workload runs them by default. */
    List<String> NAMES = List.of("pagoda", "pagoda-10pct", "netty-pooled", "netty-adaptive", "malloc");

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
            case "netty-pooled" -> NettyAllocator.pooled();
            case "netty-adaptive" -> NettyAllocator.adaptive();
            case "malloc" -> AddressAllocator.malloc();
            default -> throw new IllegalArgumentException("unknown allocator " + name + "; known: " + NAMES);
        };
    }

    /**
     * The allocator's name, one of {@link #NAMES}.
     *
     * @return the name
     */
    String name();

    /**
     * Allocates a block.
     *
     * @param size the bytes wanted, at least 1
     * @return the block's handle
     */
    long allocate(int size);

    /**
     * Writes one byte of a block, so that the page holding it becomes resident.
     *
     * @param handle a handle from {@link #allocate(int)}, not freed
     * @param offset the byte's offset in the block, below the size asked for
     */
    void touch(long handle, int offset);

    /**
     * Frees a block.
     *
     * @param handle a handle from {@link #allocate(int)}, not freed
     */
    void free(long handle);

    /** Gives the allocator's memory back, all at once, when the workload has finished. */
    @Override
    void close();
}
