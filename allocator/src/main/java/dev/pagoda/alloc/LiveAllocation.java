package dev.pagoda.alloc;

/**
 * An allocation that has not been freed, as recorded by a {@link Heap} built with {@code debug(true)}.
 *
 * @param address     its address
 * @param usableSize  its usable size in bytes
 * @param allocatedAt the stack of the thread that allocated it, innermost frame first
 */
public record LiveAllocation(long address, long usableSize, StackTraceElement[] allocatedAt) {
}
