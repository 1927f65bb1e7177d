package dev.pagoda.bench;

import dev.pagoda.alloc.HugePagePolicy;
import dev.pagoda.alloc.PageHeap;
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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The first-touch cost of new memory per 4 KiB page, with and without the prefer-huge-pages policy: a 32 MiB run
 * taken from pages released to the OS (so none is resident), then one write per 4 KiB page. With
 * {@link HugePagePolicy#PREFER} the kernel fills each 2 MiB with one fault and one clear (if it finds free huge
 * pages); with {@link HugePagePolicy#SYSTEM} under THP {@code madvise} it takes 512 faults of 4 KiB. The score
 * is per 4 KiB page ({@code @OperationsPerInvocation}); releasing the run again is not timed.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar FirstTouchBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
@Threads(1)
@State(Scope.Thread)
public class FirstTouchBenchmark {
    private static final long RUN = 32L << 20;
    private static final int TOUCHES = (int) (RUN / 4096);

    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** The heap's huge-page policy. */
    @Param({"SYSTEM", "PREFER"})
    public HugePagePolicy hugePages;

    private PageHeap heap;
    private long run;

    /** Creates the state; JMH calls it. */
    public FirstTouchBenchmark() {
    }

    /** Builds the heap and grows it to the run once. */
    @Setup(Level.Trial)
    public void setUp() {
        heap = PageHeap.builder().hugePages(hugePages).backgroundScavenger(false).zeroing(false).build();
        heap.free(heap.allocate(RUN / heap.pageSize()));
    }

    /** Gives every free page back, so the next run faults in afresh (not timed). */
    @Setup(Level.Invocation)
    public void release() {
        heap.releaseToOs();
    }

    /** Frees the run (not timed). */
    @TearDown(Level.Invocation)
    public void free() {
        heap.free(run);
    }

    /** Closes the heap. */
    @TearDown(Level.Trial)
    public void tearDown() {
        heap.close();
    }

    /**
     * Takes the run from released pages and touches each 4 KiB page once.
     *
     * @return the run's address
     */
    @Benchmark
    @OperationsPerInvocation(TOUCHES)
    public long touchReleased() {
        run = heap.allocate(RUN / heap.pageSize());
        for (long off = 0; off < RUN; off += 4096) {
            EVERYTHING.set(ValueLayout.JAVA_BYTE, run + off, (byte) 1);
        }
        return run;
    }
}
