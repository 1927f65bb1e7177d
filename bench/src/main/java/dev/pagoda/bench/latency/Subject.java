package dev.pagoda.bench.latency;

import dev.pagoda.alloc.Heap;
import dev.pagoda.bench.Libc;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One allocator under test, holding a batch of live blocks in slots: {@link AllocLatency} times each
 * {@link #allocate} and each {@link #free} call and calls {@link #touch} (untimed) in between. A subject is
 * {@linkplain #open opened} for its phase and {@linkplain #close closed} after it, so that every allocator starts
 * from a fresh instance and leaves nothing behind for the next.
 */
abstract class Subject implements AutoCloseable {
    /** Every address, for touching blocks handed out as raw addresses. */
    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final String name;
    private final boolean zeroing;

    /**
     * @param name    the name in the table
     * @param zeroing whether the subject hands out zeroed memory: it is then compared with the other zeroing ones
     */
    Subject(final String name, final boolean zeroing) {
        this.name = name;
        this.zeroing = zeroing;
    }

    final String name() {
        return name;
    }

    final boolean zeroing() {
        return zeroing;
    }

    /** Prepares for a phase with batches of up to {@code slots} blocks. */
    abstract void open(int slots);

    /** Allocates {@code size} bytes into {@code slot}: the timed call. */
    abstract void allocate(int slot, long size);

    /** Writes one byte of the block in {@code slot}: untimed. */
    abstract void touch(int slot);

    /** Frees the block in {@code slot}: the timed call. */
    abstract void free(int slot);

    /** Ends the phase, releasing whatever the allocator holds. */
    @Override
    public abstract void close();

    /** The subjects by name, in the order of the table: the non-zeroing group, then the zeroing one. */
    static Subject[] all() {
        return new Subject[] {new Pagoda(false), new C(false), new Netty(), new Pagoda(true), new C(true),
            new ConfinedArena()};
    }

    /** A subject whose blocks are raw addresses. */
    private abstract static class Addresses extends Subject {
        long[] addresses;

        Addresses(final String name, final boolean zeroing) {
            super(name, zeroing);
        }

        @Override
        void open(final int slots) {
            addresses = new long[slots];
        }

        @Override
        void touch(final int slot) {
            EVERYTHING.set(ValueLayout.JAVA_BYTE, addresses[slot], (byte) 1);
        }
    }

    /** A Pagoda {@link Heap} on the system OS: {@code zeroing(false)} or the default. */
    private static final class Pagoda extends Addresses {
        private Heap heap;

        Pagoda(final boolean zeroing) {
            super(zeroing ? "pagoda" : "pagoda-nozero", zeroing);
        }

        @Override
        void open(final int slots) {
            super.open(slots);
            heap = Heap.builder().zeroing(zeroing()).build();
        }

        @Override
        void allocate(final int slot, final long size) {
            addresses[slot] = heap.allocate(size);
        }

        @Override
        void free(final int slot) {
            heap.free(addresses[slot]);
        }

        @Override
        public void close() {
            heap.close();
        }
    }

    /**
     * glibc's {@code malloc} or {@code calloc(1, size)}, and {@code free}: plain FFM downcalls ({@link Libc}), with
     * the thread-state transition any Java caller pays.
     */
    private static final class C extends Addresses {
        C(final boolean calloc) {
            super(calloc ? "calloc" : "malloc", calloc);
        }

        @Override
        void allocate(final int slot, final long size) {
            addresses[slot] = zeroing() ? Libc.calloc(size) : Libc.malloc(size);
        }

        @Override
        void free(final int slot) {
            Libc.free(addresses[slot]);
        }

        @Override
        public void close() {
            addresses = null;
        }
    }

    /**
     * A fresh Netty {@link PooledByteBufAllocator}, direct buffers: {@code directBuffer(size, size)}, then
     * {@code release()}. Its thread cache serves the main thread only if {@code io.netty.allocator
     * .useCacheForAllThreads} is true, which {@link AllocLatency} sets before Netty is loaded.
     */
    private static final class Netty extends Subject {
        private PooledByteBufAllocator allocator;
        private ByteBuf[] buffers;

        Netty() {
            super("netty-pooled", false);
        }

        @Override
        void open(final int slots) {
            allocator = new PooledByteBufAllocator(true);
            buffers = new ByteBuf[slots];
        }

        @Override
        void allocate(final int slot, final long size) {
            buffers[slot] = allocator.directBuffer((int) size, (int) size);
        }

        @Override
        void touch(final int slot) {
            buffers[slot].setByte(0, 1);
        }

        @Override
        void free(final int slot) {
            buffers[slot].release();
            buffers[slot] = null;
        }

        @Override
        public void close() {
            allocator.trimCurrentThreadCache();
            allocator = null;
            buffers = null;
        }
    }

    /**
     * The JDK's own: {@code Arena.ofConfined()} and one {@code allocate(size)} (zeroed, as every arena's
     * memory is) as the allocation, {@code close()} as the free.
     */
    private static final class ConfinedArena extends Subject {
        private Arena[] arenas;
        private MemorySegment[] segments;

        ConfinedArena() {
            super("arena-confined", true);
        }

        @Override
        void open(final int slots) {
            arenas = new Arena[slots];
            segments = new MemorySegment[slots];
        }

        @Override
        void allocate(final int slot, final long size) {
            final Arena arena = Arena.ofConfined();
            segments[slot] = arena.allocate(size);
            arenas[slot] = arena;
        }

        @Override
        void touch(final int slot) {
            segments[slot].set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        }

        @Override
        void free(final int slot) {
            arenas[slot].close();
            arenas[slot] = null;
            segments[slot] = null;
        }

        @Override
        public void close() {
            arenas = null;
            segments = null;
        }
    }

    /** Allocates and frees nothing: timed like the others, it measures the timer and the call around them. */
    static final class Empty extends Subject {
        Empty() {
            super("(empty call)", false);
        }

        @Override
        void open(final int slots) {
            // nothing to hold
        }

        @Override
        void allocate(final int slot, final long size) {
            // the empty timed region
        }

        @Override
        void touch(final int slot) {
            // nothing to touch
        }

        @Override
        void free(final int slot) {
            // the empty timed region
        }

        @Override
        public void close() {
            // nothing held
        }
    }
}
