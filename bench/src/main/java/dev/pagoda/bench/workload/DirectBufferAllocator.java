package dev.pagoda.bench.workload;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The JDK's {@link ByteBuffer#allocateDirect}: zeroed memory, aligned blocks as an
 * {@link ByteBuffer#alignedSlice aligned slice} of a buffer one alignment minus one byte larger. There is no
 * free: {@link #free} drops the table's reference, and the memory goes back only when a garbage collection
 * finds the buffer unreachable and its cleaner runs (or when {@code allocateDirect}, short of direct memory,
 * calls {@code System.gc()} itself).
 */
final class DirectBufferAllocator implements AllocatorUnderTest {
    private final HandleTable<ByteBuffer> buffers = new HandleTable<>();

    @Override
    public String name() {
        return "bytebuffer";
    }

    @Override
    public long allocate(final int size) {
        return add(ByteBuffer.allocateDirect(size));
    }

    @Override
    public long allocate(final int size, final int alignment) {
        return add(ByteBuffer.allocateDirect(size + alignment - 1).alignedSlice(alignment));
    }

    private long add(final ByteBuffer buffer) {
        return buffers.add(buffer, MemorySegment.ofBuffer(buffer).address());
    }

    @Override
    public long address(final long handle) {
        return buffers.address((int) handle);
    }

    @Override
    public void free(final long handle) {
        buffers.remove((int) handle);
    }

    /** Nothing to do: the buffers are the garbage collector's. */
    @Override
    public void close() {
    }
}
