package dev.pagoda.bench;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.LocalHeap;
import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Small objects: allocate a block of {@code size} bytes, write one byte of it, free it, with Pagoda's
 * {@link Heap} and its like-for-like peers in one class, so that one run gives every ratio.
 *
 * <p><b>Non-zeroing</b> ({@code *_noZero_*}): a heap built with {@code zeroing(false)} ({@code pagoda})
 * against the C library's {@code malloc}/{@code free} through FFM downcalls bound once ({@code malloc}, and
 * {@code mallocCritical} bound with {@code Linker.Option.critical(false)}; see {@link Libc}), Netty's
 * {@code PooledByteBufAllocator.DEFAULT} ({@code netty}: {@code directBuffer(size, size)}, then
 * {@code release()}) and Netty 4.2's {@link AdaptiveByteBufAllocator} ({@code nettyAdaptive}, same calls).
 * The forks set {@code io.netty.allocator.useCacheForAllThreads=true}, so JMH's worker threads get the pooled
 * allocator's thread caches as Pagoda's threads get span caches; the adaptive allocator keeps thread-local
 * magazines for Netty's own threads only, so plain threads like JMH's share its striped magazines, as any
 * application thread outside an event loop does. Netty's leak detection is off: its sampled tracker would
 * charge Netty a stack trace every 128 buffers.
 *
 * <p><b>Zeroing</b> ({@code *_zero_*}): the default heap, which zeroes ({@code pagoda}), against
 * {@code calloc(1, size)}/{@code free} ({@code calloc}), a new {@code Arena.ofConfined()} per operation,
 * {@code allocate(size, 16)}, {@code close()} ({@code arena}), and {@code ByteBuffer.allocateDirect(size)}
 * ({@code allocateDirect}), which cannot be freed explicitly without the JDK's internal {@code Unsafe}: it is dropped,
 * and its Cleaner frees it after a GC. It runs only up to 4 KiB, since at larger sizes direct memory fills up
 * faster than GCs free it and every allocation ends up waiting in {@code Bits.reserveMemory}.
 *
 * <p>The methods:
 * <ul>
 *   <li>{@code t1_*}: one thread, one block per operation, at sizes 16 B to 64 KiB. Pagoda serves up to 32
 *       KiB from size classes; 64 KiB is a run of eight pages from its page heap.</li>
 *   <li>{@code t2_*}: two threads on one shared heap (and Netty's one allocator), each freeing its own
 *       blocks, at 64 B and 1 KiB.</li>
 *   <li>{@code batch_*}: 64 blocks allocated into a preallocated array, one byte written to each, then all 64
 *       freed in the order they were allocated, at 64 B and 1 KiB; reported per block
 *       ({@code @OperationsPerInvocation(64)}), so the figures compare with {@code t1_*}'s.</li>
 *   <li>{@code arena_*}: the safe API: an arena, 64 segments of 64 bytes (zeroed, one byte written to each),
 *       {@code close()}; {@code heap.newArena()} of the default zeroing heap against
 *       {@code Arena.ofConfined()}. Reported per segment.</li>
 * </ul>
 *
 * Every block is freed within its operation, so nothing accumulates. Compare methods of one size and thread
 * count within one run; absolute figures on a shared machine move from run to run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--enable-native-access=ALL-UNNAMED",
    "-Xms1g", "-Xmx1g",
    // JMH's worker threads are plain threads: without this Netty gives them no thread cache.
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.leakDetection.level=disabled",
})
@State(Scope.Benchmark)
public class SmallObjectBenchmark {
    /** Blocks per operation of the batch and arena methods. */
    static final int BATCH = 64;
    /** Bytes of each segment of the arena methods. */
    static final long ARENA_BLOCK = 64;
    /** The alignment asked of the JDK's Arena: what malloc and Pagoda give every block. */
    static final long ALIGNMENT = 16;

    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private Heap zeroing;
    private Heap nonZeroing;
    private ByteBufAllocator netty;
    private ByteBufAllocator nettyAdaptive;

    /** Creates the state; JMH calls it. */
    public SmallObjectBenchmark() {
    }

    /** Builds the two heaps and the adaptive allocator that every thread of the trial shares. */
    @Setup(Level.Trial)
    public void setUp() {
        zeroing = Heap.create();
        nonZeroing = Heap.builder().zeroing(false).build();
        netty = PooledByteBufAllocator.DEFAULT;
        nettyAdaptive = new AdaptiveByteBufAllocator(true);
    }

    /** Unmaps both heaps. */
    @TearDown(Level.Trial)
    public void tearDown() {
        zeroing.close();
        nonZeroing.close();
    }

    // ---------------------------------------------------------------------------------------------------
    // Sizes: one state per set, all with the parameter "size", so that -p size=... restricts every method.

    /** The block sizes of the one-thread methods. */
    @State(Scope.Benchmark)
    public static class AllSizes {
        /** Block size in bytes. */
        @Param({"16", "64", "256", "1024", "4096", "16384", "65536"})
        public int size;

        /** Creates the state; JMH calls it. */
        public AllSizes() {
        }
    }

    /** The block sizes at which {@code allocateDirect} runs: up to 4 KiB. */
    @State(Scope.Benchmark)
    public static class DirectSizes {
        /** Block size in bytes. */
        @Param({"16", "64", "256", "1024", "4096"})
        public int size;

        /** Creates the state; JMH calls it. */
        public DirectSizes() {
        }
    }

    /** The block sizes of the two-thread and batch methods. */
    @State(Scope.Benchmark)
    public static class TwoSizes {
        /** Block size in bytes. */
        @Param({"64", "1024"})
        public int size;

        /** Creates the state; JMH calls it. */
        public TwoSizes() {
        }
    }

    /** One thread's {@link LocalHeap} handles on both heaps, made on (and bound to) the benchmark thread. */
    @State(Scope.Thread)
    public static class Local {
        /** The handle on the zeroing heap. */
        LocalHeap zeroing;
        /** The handle on the heap without zeroing. */
        LocalHeap nonZeroing;

        /** Creates the state; JMH calls it. */
        public Local() {
        }

        /**
         * Opens the handles on the thread that will use them.
         *
         * @param b the benchmark, whose heaps they are on
         */
        @Setup(Level.Trial)
        public void open(final SmallObjectBenchmark b) {
            zeroing = b.zeroing.local();
            nonZeroing = b.nonZeroing.local();
        }

        /** Closes the handles. */
        @TearDown(Level.Trial)
        public void close() {
            zeroing.close();
            nonZeroing.close();
        }
    }

    /** One thread's arrays for the batch methods, allocated once. */
    @State(Scope.Thread)
    public static class Batch {
        /** The addresses of one batch. */
        final long[] addresses = new long[BATCH];
        /** The buffers of one batch. */
        final ByteBuf[] buffers = new ByteBuf[BATCH];

        /** Creates the state; JMH calls it. */
        public Batch() {
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // One thread, no zeroing.

    /**
     * Pagoda without zeroing.
     *
     * @param s the size
     * @return the block's address, freed already
     */
    @Benchmark
    @Threads(1)
    public long t1_noZero_pagoda(final AllSizes s) {
        return pagoda(nonZeroing, s.size);
    }

    /**
     * Pagoda without zeroing, through a thread-bound {@link LocalHeap}.
     *
     * @param s the size
     * @param l the thread's handles
     * @return the block's address, freed already
     */
    @Benchmark
    @Threads(1)
    public long t1_noZero_pagodaLocal(final AllSizes s, final Local l) {
        return local(l.nonZeroing, s.size);
    }

    /**
     * {@code malloc}/{@code free}.
     *
     * @param s the size
     * @return the block's address, freed already
     */
    @Benchmark
    @Threads(1)
    public long t1_noZero_malloc(final AllSizes s) {
        return malloc(s.size);
    }

    /**
     * {@code malloc}/{@code free} through critical downcalls.
     *
     * @param s the size
     * @return the block's address, freed already
     */
    @Benchmark
    @Threads(1)
    public long t1_noZero_mallocCritical(final AllSizes s) {
        final long address = Libc.mallocCritical(s.size);
        EVERYTHING.set(ValueLayout.JAVA_BYTE, address, (byte) 1);
        Libc.freeCritical(address);
        return address;
    }

    /**
     * jemalloc's {@code malloc}/{@code free} through LWJGL's binding (its JNI entry points).
     *
     * @param s the size
     * @return the block's address, freed already
     */
    @Benchmark
    @Threads(1)
    public long t1_noZero_jemalloc(final AllSizes s) {
        final long address = org.lwjgl.system.jemalloc.JEmalloc.nje_malloc(s.size);
        EVERYTHING.set(ValueLayout.JAVA_BYTE, address, (byte) 1);
        org.lwjgl.system.jemalloc.JEmalloc.nje_free(address);
        return address;
    }

    /**
     * Netty's pooled direct buffers.
     *
     * @param s the size
     * @return the buffer, released already
     */
    @Benchmark
    @Threads(1)
    public Object t1_noZero_netty(final AllSizes s) {
        return netty(netty, s.size);
    }

    /**
     * Netty's adaptive allocator, direct buffers.
     *
     * @param s the size
     * @return the buffer, released already
     */
    @Benchmark
    @Threads(1)
    public Object t1_noZero_nettyAdaptive(final AllSizes s) {
        return netty(nettyAdaptive, s.size);
    }

    // ---------------------------------------------------------------------------------------------------
    // One thread, zeroed memory.

    /**
     * Pagoda's default, zeroing heap.
     *
     * @param s the size
     * @return the block's address, freed already
     */
    @Benchmark
    @Threads(1)
    public long t1_zero_pagoda(final AllSizes s) {
        return pagoda(zeroing, s.size);
    }

    /**
     * Pagoda with zeroing, through a thread-bound {@link LocalHeap}.
     *
     * @param s the size
     * @param l the thread's handles
     * @return the block's address, freed already
     */
    @Benchmark
    @Threads(1)
    public long t1_zero_pagodaLocal(final AllSizes s, final Local l) {
        return local(l.zeroing, s.size);
    }

    /**
     * {@code calloc}/{@code free}.
     *
     * @param s the size
     * @return the block's address, freed already
     */
    @Benchmark
    @Threads(1)
    public long t1_zero_calloc(final AllSizes s) {
        final long address = Libc.calloc(s.size);
        EVERYTHING.set(ValueLayout.JAVA_BYTE, address, (byte) 1);
        Libc.free(address);
        return address;
    }

    /**
     * A confined Arena per block.
     *
     * @param s the size
     * @return the segment, freed already
     */
    @Benchmark
    @Threads(1)
    public Object t1_zero_arena(final AllSizes s) {
        final MemorySegment segment;
        try (Arena arena = Arena.ofConfined()) {
            segment = arena.allocate(s.size, ALIGNMENT);
            segment.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        }
        return segment;
    }

    /**
     * {@code ByteBuffer.allocateDirect}, dropped for the GC to free.
     *
     * @param s the size, up to 4 KiB
     * @return the buffer
     */
    @Benchmark
    @Threads(1)
    public Object t1_zero_allocateDirect(final DirectSizes s) {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(s.size);
        buffer.put(0, (byte) 1);
        return buffer;
    }

    // ---------------------------------------------------------------------------------------------------
    // Two threads, one shared heap (and Netty's one shared allocator), no zeroing.

    /**
     * Pagoda without zeroing, two threads on one heap.
     *
     * @param s the size
     * @return the block's address, freed already
     */
    @Benchmark
    @Threads(2)
    public long t2_noZero_pagoda(final TwoSizes s) {
        return pagoda(nonZeroing, s.size);
    }

    /**
     * Pagoda without zeroing, two threads on one heap, each through its own {@link LocalHeap}.
     *
     * @param s the size
     * @param l the thread's handles
     * @return the block's address, freed already
     */
    @Benchmark
    @Threads(2)
    public long t2_noZero_pagodaLocal(final TwoSizes s, final Local l) {
        return local(l.nonZeroing, s.size);
    }

    /**
     * {@code malloc}/{@code free}, two threads.
     *
     * @param s the size
     * @return the block's address, freed already
     */
    @Benchmark
    @Threads(2)
    public long t2_noZero_malloc(final TwoSizes s) {
        return malloc(s.size);
    }

    /**
     * Netty's pooled direct buffers, two threads.
     *
     * @param s the size
     * @return the buffer, released already
     */
    @Benchmark
    @Threads(2)
    public Object t2_noZero_netty(final TwoSizes s) {
        return netty(netty, s.size);
    }

    // ---------------------------------------------------------------------------------------------------
    // One thread, 64 blocks allocated then 64 freed, no zeroing; per block.

    /**
     * Pagoda without zeroing: 64 allocations, then 64 frees.
     *
     * @param s the size
     * @param b the thread's arrays
     * @return the last block's address, freed already
     */
    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public long batch_noZero_pagoda(final TwoSizes s, final Batch b) {
        final long[] a = b.addresses;
        for (int i = 0; i < BATCH; i++) {
            a[i] = nonZeroing.allocate(s.size);
            EVERYTHING.set(ValueLayout.JAVA_BYTE, a[i], (byte) 1);
        }
        for (int i = 0; i < BATCH; i++) {
            nonZeroing.free(a[i]);
        }
        return a[BATCH - 1];
    }

    /**
     * 64 {@code malloc}s, then 64 {@code free}s.
     *
     * @param s the size
     * @param b the thread's arrays
     * @return the last block's address, freed already
     */
    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public long batch_noZero_malloc(final TwoSizes s, final Batch b) {
        final long[] a = b.addresses;
        for (int i = 0; i < BATCH; i++) {
            a[i] = Libc.malloc(s.size);
            EVERYTHING.set(ValueLayout.JAVA_BYTE, a[i], (byte) 1);
        }
        for (int i = 0; i < BATCH; i++) {
            Libc.free(a[i]);
        }
        return a[BATCH - 1];
    }

    /**
     * Netty's pooled direct buffers: 64 allocations, then 64 releases.
     *
     * @param s the size
     * @param b the thread's arrays
     * @return the last buffer, released already
     */
    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public Object batch_noZero_netty(final TwoSizes s, final Batch b) {
        final ByteBuf[] a = b.buffers;
        for (int i = 0; i < BATCH; i++) {
            a[i] = netty.directBuffer(s.size, s.size);
            a[i].setByte(0, 1);
        }
        for (int i = 0; i < BATCH; i++) {
            a[i].release();
        }
        return a[BATCH - 1];
    }

    // ---------------------------------------------------------------------------------------------------
    // The safe API: an Arena of 64 segments of 64 bytes, zeroed; per segment.

    /**
     * {@code heap.newArena()} of the zeroing heap: 64 segments, then {@code close()}.
     *
     * @return the last segment, freed already
     */
    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public Object arena_zero_pagoda() {
        try (Arena arena = zeroing.newArena()) {
            return fillArena(arena);
        }
    }

    /**
     * {@code Arena.ofConfined()}: 64 segments, then {@code close()}.
     *
     * @return the last segment, freed already
     */
    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public Object arena_zero_confined() {
        try (Arena arena = Arena.ofConfined()) {
            return fillArena(arena);
        }
    }

    // ---------------------------------------------------------------------------------------------------

    private static long pagoda(final Heap heap, final int size) {
        final long address = heap.allocate(size);
        EVERYTHING.set(ValueLayout.JAVA_BYTE, address, (byte) 1);
        heap.free(address);
        return address;
    }

    private static long local(final LocalHeap heap, final int size) {
        final long address = heap.allocate(size);
        EVERYTHING.set(ValueLayout.JAVA_BYTE, address, (byte) 1);
        heap.free(address);
        return address;
    }

    private static long malloc(final int size) {
        final long address = Libc.malloc(size);
        EVERYTHING.set(ValueLayout.JAVA_BYTE, address, (byte) 1);
        Libc.free(address);
        return address;
    }

    private static ByteBuf netty(final ByteBufAllocator allocator, final int size) {
        final ByteBuf buf = allocator.directBuffer(size, size);
        buf.setByte(0, 1);
        buf.release();
        return buf;
    }

    private static MemorySegment fillArena(final Arena arena) {
        MemorySegment segment = null;
        for (int i = 0; i < BATCH; i++) {
            segment = arena.allocate(ARENA_BLOCK, ALIGNMENT);
            segment.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        }
        return segment;
    }
}
