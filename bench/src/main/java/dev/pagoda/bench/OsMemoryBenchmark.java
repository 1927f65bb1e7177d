package dev.pagoda.bench;

import dev.pagoda.os.OsMemory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What {@link OsMemory}'s checks, state tracking and errno capture cost on top of the bare system call: each
 * operation against the same call made through a plain FFM downcall ({@link BareSyscalls}), in the same run.
 *
 * <ul>
 *   <li>{@code reserveFree_*}: reserve 1 MiB of address space ({@code PROT_NONE}, {@code MAP_NORESERVE}) and
 *       unmap it again.</li>
 *   <li>{@code unusedUsed_*}: give 64 KiB of a resident range back ({@code MADV_DONTNEED}) and make it Ready
 *       again ({@code used} is no system call on Linux, so the pair is one madvise plus Pagoda's
 *       bookkeeping); the pages are not touched, so the kernel has nothing to free after the first round.</li>
 *   <li>{@code hugePage_*}: advise a 2 MiB aligned range {@code MADV_HUGEPAGE}.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar OsMemoryBenchmark}. Linux only.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms256m", "-Xmx256m"})
@Threads(1)
@State(Scope.Thread)
public class OsMemoryBenchmark {
    private static final long MIB = 1L << 20;
    private static final long HUGE = 2 * MIB;

    private OsMemory os;
    /** A 4 MiB Ready range of the OsMemory, 2 MiB aligned. */
    private long ready;
    /** A 4 MiB read-write mapping made with the bare calls, 2 MiB aligned inside an 8 MiB reservation. */
    private long bareBase;
    private long bare;

    /** Creates the state; JMH calls it. */
    public OsMemoryBenchmark() {
    }

    /** Makes the two ranges. */
    @Setup(Level.Trial)
    public void setUp() {
        os = OsMemory.system();
        ready = os.reserveAligned(4 * MIB, HUGE);
        os.map(ready, 4 * MIB);
        os.used(ready, 4 * MIB);
        bareBase = BareSyscalls.mmap(0, 8 * MIB, BareSyscalls.PROT_RW,
                BareSyscalls.MAP_RESERVE & ~0x4000);
        bare = (bareBase + HUGE - 1) & -HUGE;
    }

    /** Unmaps both. */
    @TearDown(Level.Trial)
    public void tearDown() {
        os.free(ready, 4 * MIB);
        BareSyscalls.munmap(bareBase, 8 * MIB);
    }

    /**
     * Pagoda: {@code reserve} then {@code free} 1 MiB.
     *
     * @return the address
     */
    @Benchmark
    public long reserveFree_pagoda() {
        final long p = os.reserve(MIB);
        os.free(p, MIB);
        return p;
    }

    /**
     * Bare: {@code mmap(PROT_NONE, MAP_NORESERVE)} then {@code munmap} 1 MiB.
     *
     * @return the address
     */
    @Benchmark
    public long reserveFree_bare() {
        final long p = BareSyscalls.mmap(0, MIB, BareSyscalls.PROT_NONE, BareSyscalls.MAP_RESERVE);
        BareSyscalls.munmap(p, MIB);
        return p;
    }

    /**
     * Pagoda: {@code unused} then {@code used} 64 KiB.
     *
     * @return the address
     */
    @Benchmark
    public long unusedUsed_pagoda() {
        os.unused(ready, 64 << 10);
        os.used(ready, 64 << 10);
        return ready;
    }

    /**
     * Bare: {@code madvise(MADV_DONTNEED)} 64 KiB.
     *
     * @return the address
     */
    @Benchmark
    public long unusedUsed_bare() {
        BareSyscalls.madvise(bare, 64 << 10, BareSyscalls.MADV_DONTNEED);
        return bare;
    }

    /**
     * Pagoda: {@code hugePage} over 2 MiB.
     *
     * @return the address
     */
    @Benchmark
    public long hugePage_pagoda() {
        os.hugePage(ready, HUGE);
        return ready;
    }

    /**
     * Bare: {@code madvise(MADV_HUGEPAGE)} over 2 MiB.
     *
     * @return the address
     */
    @Benchmark
    public long hugePage_bare() {
        BareSyscalls.madvise(bare, HUGE, BareSyscalls.MADV_HUGEPAGE);
        return bare;
    }
}
