package dev.pagoda.bench;

import dev.pagoda.alloc.PageHeap;
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
 * Getting memory from the OS: one large run of pages that has never been touched (or was given back), then
 * a write to every 4 KiB page of it, so that the kernel commits and zero-fills each page on the first fault.
 * The page faults dominate; the point is that Pagoda adds nothing measurable on top of them.
 *
 * <ul>
 *   <li>{@code fresh_pagoda}: a new {@link PageHeap} (built outside the timing) grows: it reserves an arena,
 *       maps the chunks the run needs and hands out the run; then every 4 KiB page is touched.</li>
 *   <li>{@code released_pagoda}: one heap for the trial, whose free pages are given back with
 *       {@link PageHeap#releaseToOs()} before each operation (outside the timing); the run is then taken out
 *       of released pages, which fault in again when touched.</li>
 *   <li>{@code fresh_arena}: {@code Arena.ofConfined().allocate(size, 8192)} (malloc, which for 32 MiB
 *       is a fresh {@code mmap}, then the JDK's zeroing, which takes the faults), then the same touches.</li>
 * </ul>
 *
 * Giving the memory back ({@code close}, {@code free}) is not timed in any of them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Threads(1)
@State(Scope.Thread)
public class HeapGrowthBenchmark {
    /** The stride of the touches: one write per OS page. */
    static final long TOUCH_STRIDE = 4096;

    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** Run length in 8 KiB pages: 4096 pages are 32 MiB. */
    @Param({"4096"})
    public int pages;

    private long bytes;
    /** The heap of the released_pagoda trial. */
    private PageHeap reused;
    /** The heap of one fresh_pagoda operation. */
    private PageHeap fresh;
    /** The arena of one fresh_arena operation. */
    private Arena arena;
    /** The run an operation allocated, freed after it. */
    private long run;

    /** Creates the state; JMH calls it. */
    public HeapGrowthBenchmark() {
    }

    /** Builds the heap of the released_pagoda trial and grows it to the run's size once. */
    @Setup(Level.Trial)
    public void setUpTrial() {
        bytes = pages * PageAllocBenchmark.PAGE_SIZE;
        reused = PageHeap.builder().pageSize(PageAllocBenchmark.PAGE_SIZE).build();
        reused.free(reused.allocate(pages));
    }

    /** Unmaps the trial's heap. */
    @TearDown(Level.Trial)
    public void tearDownTrial() {
        reused.close();
    }

    /** Before each operation: a new heap, a new arena, and every free page of the trial's heap released. */
    @Setup(Level.Invocation)
    public void setUpInvocation() {
        fresh = PageHeap.builder().pageSize(PageAllocBenchmark.PAGE_SIZE).build();
        arena = Arena.ofConfined();
        reused.releaseToOs();
    }

    /** After each operation: everything it took goes back. */
    @TearDown(Level.Invocation)
    public void tearDownInvocation() {
        if (run != 0) {
            reused.free(run);
        }
        run = 0;
        fresh.close();
        arena.close();
    }

    /**
     * A new heap's first run, every 4 KiB page touched.
     *
     * @return the sum of the bytes read back, so the touches are not dead code
     */
    @Benchmark
    public long fresh_pagoda() {
        final long address = fresh.allocate(pages);
        return touch(address);
    }

    /**
     * A run taken out of released pages, every 4 KiB page touched.
     *
     * @return the sum of the bytes read back
     */
    @Benchmark
    public long released_pagoda() {
        run = reused.allocate(pages);
        return touch(run);
    }

    /**
     * A fresh zeroed Arena segment, every 4 KiB page touched.
     *
     * @return the sum of the bytes read back
     */
    @Benchmark
    public long fresh_arena() {
        final MemorySegment segment = arena.allocate(bytes, PageAllocBenchmark.PAGE_SIZE);
        return touch(segment.address());
    }

    private long touch(final long address) {
        long sum = 0;
        for (long off = 0; off < bytes; off += TOUCH_STRIDE) {
            EVERYTHING.set(ValueLayout.JAVA_BYTE, address + off, (byte) 1);
            sum += EVERYTHING.get(ValueLayout.JAVA_BYTE, address + off);
        }
        return sum;
    }
}
