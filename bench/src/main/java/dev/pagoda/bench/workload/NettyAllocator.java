package dev.pagoda.bench.workload;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

import java.util.Arrays;

/**
 * A Netty allocator's direct buffers, {@code directBuffer(size, size)} and {@code release()}. A handle is the
 * index of the buffer in a table; indexes of released buffers are reused.
 */
final class NettyAllocator implements AllocatorUnderTest {
    private final String name;
    private final ByteBufAllocator allocator;
    private ByteBuf[] buffers = new ByteBuf[1024];
    /** Indexes below {@link #high} that hold no buffer, as a stack. */
    private int[] vacant = new int[1024];
    private int vacantCount;
    /** The first index never used. */
    private int high;

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
        final int index;
        if (vacantCount > 0) {
            index = vacant[--vacantCount];
        } else {
            if (high == buffers.length) {
                buffers = Arrays.copyOf(buffers, 2 * high);
            }
            index = high++;
        }
        buffers[index] = buffer;
        return index;
    }

    @Override
    public void touch(final long handle, final int offset) {
        buffers[(int) handle].setByte(offset, 1);
    }

    @Override
    public void free(final long handle) {
        final int index = (int) handle;
        buffers[index].release();
        buffers[index] = null;
        if (vacantCount == vacant.length) {
            vacant = Arrays.copyOf(vacant, 2 * vacantCount);
        }
        vacant[vacantCount++] = index;
    }

    /** Nothing to do: the buffers still held are left to the process's exit. */
    @Override
    public void close() {
    }
}
