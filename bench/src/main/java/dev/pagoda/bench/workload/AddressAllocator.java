package dev.pagoda.bench.workload;

import dev.pagoda.alloc.Heap;
import dev.pagoda.bench.Libc;

import java.lang.foreign.MemorySegment;
import java.util.function.LongConsumer;
import java.util.function.LongUnaryOperator;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * An allocator with a raw {@code long} API, Pagoda's or the C library's: handles are the blocks' addresses,
 * and blocks are written through one segment that spans the whole address space.
 */
final class AddressAllocator implements AllocatorUnderTest {
    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final String name;
    private final LongUnaryOperator allocate;
    private final LongConsumer free;
    private final Runnable close;

    private AddressAllocator(final String name, final LongUnaryOperator allocate, final LongConsumer free,
                             final Runnable close) {
        this.name = name;
        this.allocate = allocate;
        this.free = free;
        this.close = close;
    }

    /**
     * Pagoda's default heap ({@code Heap.create()}): zeroing, background scavenger on.
     *
     * @param name              the allocator's name in the results
     * @param scavengerPercent  the scavenger's CPU budget in percent of one core
     *                          ({@code pagoda.scavenger.cpuPercent}), or null for the default 1%
     * @return the allocator
     */
    static AddressAllocator pagoda(final String name, final String scavengerPercent) {
        if (scavengerPercent != null) {
            System.setProperty("pagoda.scavenger.cpuPercent", scavengerPercent); // before the first heap exists
        }
        final Heap heap = Heap.create();
        return new AddressAllocator(name, heap::allocate, heap::free, heap::close);
    }

    /**
     * glibc's {@code malloc} and {@code free} through FFM downcalls ({@link Libc}). Closing it does nothing: the
     * blocks still held are left to the process's exit.
     *
     * @return the allocator
     */
    static AddressAllocator malloc() {
        return new AddressAllocator("malloc", Libc::malloc, Libc::free, () -> { });
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long allocate(final int size) {
        return allocate.applyAsLong(size);
    }

    @Override
    public void touch(final long handle, final int offset) {
        EVERYTHING.set(JAVA_BYTE, handle + offset, (byte) 1);
    }

    @Override
    public void free(final long handle) {
        free.accept(handle);
    }

    @Override
    public void close() {
        close.run();
    }
}
