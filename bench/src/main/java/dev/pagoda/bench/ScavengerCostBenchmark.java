package dev.pagoda.bench;

import dev.pagoda.alloc.Heap;
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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What the background scavenger costs the allocating threads: the same workloads on a heap served by the
 * scavenger ({@code background=true}, the default) and on one left out of it ({@code background=false}), in the
 * same run. The target is a difference within 3%.
 *
 * <ul>
 *   <li>{@code smallPairs}: allocate 64 B, write a byte, free: the per-thread fast path, which the scavenger
 *       never touches; any difference is the scavenger thread's own CPU use.</li>
 *   <li>{@code pageBatch}: allocate 64 page runs of 64 KiB to 1 MiB (about 35 MiB), write the first byte of each
 *       4 KiB page, free them all. Between batches everything is free, so the scavenger would like to release
 *       it all; chunks the batches keep dense are hidden from it, and what it does release must be faulted in
 *       again, which is the cost that matters.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar ScavengerCostBenchmark -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
@Threads(1)
@State(Scope.Thread)
public class ScavengerCostBenchmark {
    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** Whether the background scavenger serves the heap. */
    @Param({"true", "false"})
    public boolean background;

    private Heap heap;
    private final long[] sizes = new long[64];
    private final long[] blocks = new long[64];

    /** Creates the state; JMH calls it. */
    public ScavengerCostBenchmark() {
    }

    /** Builds the heap and the batch's sizes (fixed seed). */
    @Setup(Level.Trial)
    public void setUp() {
        heap = Heap.builder().backgroundScavenger(background).jmx(false).build();
        final SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = (64L << 10) * (1 + random.nextInt(16));
        }
    }

    /** Closes the heap. */
    @TearDown(Level.Trial)
    public void tearDown() {
        heap.close();
    }

    /**
     * One small allocation, touched and freed.
     *
     * @return the address, so that the work is not eliminated
     */
    @Benchmark
    public long smallPairs() {
        final long a = heap.allocate(64);
        EVERYTHING.set(ValueLayout.JAVA_BYTE, a, (byte) 1);
        heap.free(a);
        return a;
    }

    /**
     * A batch of page runs, every page touched, all freed.
     *
     * @return a checksum of the addresses
     */
    @Benchmark
    public long pageBatch() {
        long sum = 0;
        for (int i = 0; i < blocks.length; i++) {
            final long a = heap.allocate(sizes[i]);
            for (long off = 0; off < sizes[i]; off += 4096) {
                EVERYTHING.set(ValueLayout.JAVA_BYTE, a + off, (byte) 1);
            }
            blocks[i] = a;
            sum += a;
        }
        for (final long a : blocks) {
            heap.free(a);
        }
        return sum;
    }
}
