package dev.pagoda.bench.workload;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * A Netty allocator's direct buffers, {@code directBuffer(size, size)} and {@code release()}; a handle names the
 * buffer in a {@link HandleTable}, with its {@code memoryAddress()}. Netty offers no alignment: an aligned
 * request gets a plain buffer of the size asked for.
 */
final class NettyAllocator implements AllocatorUnderTest {
    private final String name;
    private final ByteBufAllocator allocator;
    private final HandleTable<ByteBuf> buffers = new HandleTable<>();

    private NettyAllocator(final String name, final ByteBufAllocator allocator) {
        this.name = name;
        this.allocator = allocator;
    }

    /**
     * {@link PooledByteBufAllocator#DEFAULT}, Netty's jemalloc-like arenas.
     *
     * @return the allocator
     */
    static NettyAllocator pooled() {
        return new NettyAllocator("netty-pooled", PooledByteBufAllocator.DEFAULT);
    }

    /**
     * A new {@link AdaptiveByteBufAllocator} with its defaults, the magazine allocator of Netty 4.2.
     *
     * @return the allocator
     */
    static NettyAllocator adaptive() {
        return new NettyAllocator("netty-adaptive", new AdaptiveByteBufAllocator());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long allocate(final int size) {
        final ByteBuf buffer = allocator.directBuffer(size, size);
        return buffers.add(buffer, buffer.memoryAddress());
    }

    /** Netty has no aligned allocation: the same as {@link #allocate(int)}, whatever the alignment. */
    @Override
    public long allocate(final int size, final int alignment) {
        return allocate(size);
    }

    @Override
    public long address(final long handle) {
        return buffers.address((int) handle);
    }

    @Override
    public void free(final long handle) {
        buffers.remove((int) handle).release();
    }

    /** Nothing to do: the buffers still held are left to the process's exit. */
    @Override
    public void close() {
    }
}
