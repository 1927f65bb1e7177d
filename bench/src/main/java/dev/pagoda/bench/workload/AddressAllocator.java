package dev.pagoda.bench.workload;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.HeapStats;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.SizeClassStats;
import dev.pagoda.bench.Libc;

import java.util.function.LongBinaryOperator;
import java.util.function.LongConsumer;
import java.util.function.LongUnaryOperator;

/**
 * An allocator with a raw {@code long} API, Pagoda's or the C library's: handles are the blocks' addresses.
 */
final class AddressAllocator implements AllocatorUnderTest {
    private final String name;
    private final LongUnaryOperator allocate;
    private final LongBinaryOperator allocateAligned;
    private final LongConsumer free;
    private final Runnable close;
    /** The Pagoda heap behind the handles, for {@link #memoryReport()}; null for the other allocators. */
    private Heap heap;

    private AddressAllocator(final String name, final LongUnaryOperator allocate,
                             final LongBinaryOperator allocateAligned, final LongConsumer free,
                             final Runnable close) {
        this.name = name;
        this.allocate = allocate;
        this.allocateAligned = allocateAligned;
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
        return of(name, Heap.create());
    }

    /**
     * Pagoda's heap without zeroing ({@code Heap.builder().zeroing(false).build()}), background scavenger on:
     * the peer of the allocators that do not zero.
     *
     * @return the allocator
     */
    static AddressAllocator pagodaNoZero() {
        return of("pagoda-nozero", Heap.builder().zeroing(false).build());
    }

    private static AddressAllocator of(final String name, final Heap heap) {
        final AddressAllocator a = new AddressAllocator(name, heap::allocate, heap::allocate, heap::free, heap::close);
        a.heap = heap;
        return a;
    }

    @Override
    public String memoryReport() {
        if (heap == null) {
            return "";
        }
        final HeapStats s = heap.stats();
        final PageHeapStats p = s.pages();
        long objects = 0;
        for (final SizeClassStats c : s.classes()) {
            objects += c.liveObjects() * c.size();
        }
        final long mib = 1 << 20;
        return String.format(java.util.Locale.ROOT, "%s heap: Ready %d MiB = spans %d MiB (live objects %d MiB, "
                        + "released inside %d MiB) + page runs %d MiB + page caches %d MiB + free resident %d MiB; "
                        + "released %d MiB; scavenger goal %d MiB, retained %d MiB", name, p.readyBytes() / mib,
                s.spanBytes() / mib, objects / mib, s.spanReleasedBytes() / mib, s.pageRunBytes() / mib,
                p.cachedBytes() / mib, p.freeBytes() / mib, p.releasedBytes() / mib, p.scavenger().goalBytes() / mib,
                p.scavenger().retainedBytes() / mib);
    }

    /**
     * glibc's {@code malloc}, {@code posix_memalign} and {@code free} through FFM downcalls ({@link Libc}).
     * Closing it does nothing: the blocks still held are left to the process's exit.
     *
     * @return the allocator
     */
    static AddressAllocator malloc() {
        return new AddressAllocator("malloc", Libc::malloc, Libc::posixMemalign, Libc::free, () -> { });
    }

    /**
     * glibc's {@code calloc} and {@code free}, the zeroing peer; it has no aligned allocation.
     *
     * @return the allocator
     */
    static AddressAllocator calloc() {
        return new AddressAllocator("calloc", Libc::calloc, (size, alignment) -> {
            throw new UnsupportedOperationException("calloc has no aligned variant");
        }, Libc::free, () -> { });
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
    public long allocate(final int size, final int alignment) {
        return allocateAligned.applyAsLong(size, alignment);
    }

    @Override
    public long address(final long handle) {
        return handle;
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
