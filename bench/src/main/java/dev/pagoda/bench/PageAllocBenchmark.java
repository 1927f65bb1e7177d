package dev.pagoda.bench;

import dev.pagoda.alloc.PageHeap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
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
import java.util.concurrent.TimeUnit;

/**
 * Allocate a run of pages, touch one byte of it, free it: Pagoda's {@link PageHeap} against its like-for-like
 * peers, on one thread ({@code t1_*}) and on two threads sharing one heap ({@code t2_*}).
 *
 * <ul>
 *   <li>{@code noZero_pagoda} (a heap built with {@code zeroing(false)}) against {@code noZero_netty}
 *       ({@code PooledByteBufAllocator.DEFAULT.directBuffer(size, size)} then {@code release()}): neither
 *       zeroes. The forks set {@code io.netty.allocator.useCacheForAllThreads=true} so that JMH's worker
 *       threads, which are not Netty {@code FastThreadLocalThread}s, get Netty's per-thread caches as Pagoda's
 *       threads get page caches.</li>
 *   <li>{@code zero_pagoda} (the default zeroing heap) against {@code zero_arena}
 *       ({@code Arena.ofConfined()}, {@code allocate(size, 8192)}, {@code close()}): both hand out zeroed
 *       memory.</li>
 * </ul>
 *
 * The {@code pages} parameter is the run length in 8 KiB pages: 1, 8, 64 and 512 pages are 8 KiB, 64 KiB,
 * 512 KiB and 4 MiB. Every allocation is freed in the same operation, so nothing accumulates. Compare
 * methods of one size and thread count within one run; absolute figures on a shared machine move from run to
 * run.
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
})
@State(Scope.Benchmark)
public class PageAllocBenchmark {
    /** Pagoda's page size, and the alignment asked of the Arena. */
    static final long PAGE_SIZE = 8192;

    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** Run length in pages. */
    @Param({"1", "8", "64", "512"})
    public int pages;

    private long bytes;
    private int nettyBytes;
    private PageHeap zeroing;
    private PageHeap nonZeroing;
    private PooledByteBufAllocator netty;

    /** Creates the state; JMH calls it. */
    public PageAllocBenchmark() {
    }

    /** Builds the two heaps that every thread of the trial shares. */
    @Setup(Level.Trial)
    public void setUp() {
        bytes = pages * PAGE_SIZE;
        nettyBytes = Math.toIntExact(bytes);
        zeroing = PageHeap.builder().pageSize(PAGE_SIZE).zeroing(true).pageCaches(true).build();
        nonZeroing = PageHeap.builder().pageSize(PAGE_SIZE).zeroing(false).pageCaches(true).build();
        netty = PooledByteBufAllocator.DEFAULT;
    }

    /** Unmaps both heaps. */
    @TearDown(Level.Trial)
    public void tearDown() {
        zeroing.close();
        nonZeroing.close();
    }

    // ---------------------------------------------------------------------------------------------------
    // One thread.

    /**
     * Pagoda without zeroing, one thread.
     *
     * @return the run's address, freed already
     */
    @Benchmark
    @Threads(1)
    public long t1_noZero_pagoda() {
        return pagoda(nonZeroing);
    }

    /**
     * Netty's pooled direct buffers (not zeroed), one thread.
     *
     * @return the buffer, released already
     */
    @Benchmark
    @Threads(1)
    public Object t1_noZero_netty() {
        return netty();
    }

    /**
     * Pagoda's zeroing heap, one thread.
     *
     * @return the run's address, freed already
     */
    @Benchmark
    @Threads(1)
    public long t1_zero_pagoda() {
        return pagoda(zeroing);
    }

    /**
     * A confined Arena (zeroed), one thread.
     *
     * @return the segment, freed already
     */
    @Benchmark
    @Threads(1)
    public Object t1_zero_arena() {
        return arena();
    }

    // ---------------------------------------------------------------------------------------------------
    // Two threads, one shared heap (and Netty's one shared allocator).

    /**
     * Pagoda without zeroing, two threads on one heap.
     *
     * @return the run's address, freed already
     */
    @Benchmark
    @Threads(2)
    public long t2_noZero_pagoda() {
        return pagoda(nonZeroing);
    }

    /**
     * Netty's pooled direct buffers (not zeroed), two threads.
     *
     * @return the buffer, released already
     */
    @Benchmark
    @Threads(2)
    public Object t2_noZero_netty() {
        return netty();
    }

    /**
     * Pagoda's zeroing heap, two threads on one heap.
     *
     * @return the run's address, freed already
     */
    @Benchmark
    @Threads(2)
    public long t2_zero_pagoda() {
        return pagoda(zeroing);
    }

    /**
     * A confined Arena per operation (zeroed), two threads.
     *
     * @return the segment, freed already
     */
    @Benchmark
    @Threads(2)
    public Object t2_zero_arena() {
        return arena();
    }

    // ---------------------------------------------------------------------------------------------------

    private long pagoda(final PageHeap heap) {
        final long address = heap.allocate(pages);
        EVERYTHING.set(ValueLayout.JAVA_BYTE, address, (byte) 1);
        heap.free(address);
        return address;
    }

    private ByteBuf netty() {
        final ByteBuf buf = netty.directBuffer(nettyBytes, nettyBytes);
        buf.setByte(0, 1);
        buf.release();
        return buf;
    }

    private MemorySegment arena() {
        final MemorySegment segment;
        try (Arena arena = Arena.ofConfined()) {
            segment = arena.allocate(bytes, PAGE_SIZE);
            segment.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        }
        return segment;
    }
}
