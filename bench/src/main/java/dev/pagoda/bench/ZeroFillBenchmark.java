package dev.pagoda.bench;

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
 * A diagnostic for {@link PageAllocBenchmark}'s zeroing case: only the zeroing of one warm block of 1 to 512
 * pages, done the two ways the JDK offers.
 *
 * <ul>
 *   <li>{@code segmentFill}: {@code MemorySegment.fill((byte) 0)} on a slice of the everything-segment, as
 *       {@code PageHeap} zeroes a reused run. For 32 bytes and more the JDK calls {@code Unsafe.setMemory}.</li>
 *   <li>{@code longLoop}: a counted loop of 8-byte stores, which is how {@code Arena.allocate} zeroes new
 *       memory in JDK 25 ({@code SegmentFactories.initNativeMemory}); C2 vectorises it.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Threads(1)
@State(Scope.Thread)
public class ZeroFillBenchmark {
    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** Block length in 8 KiB pages. */
    @Param({"1", "8", "64", "512"})
    public int pages;

    private long bytes;
    private Arena arena;
    private long address;

    /** Creates the state; JMH calls it. */
    public ZeroFillBenchmark() {
    }

    /** Allocates the block, page-aligned, and touches it once. */
    @Setup(Level.Trial)
    public void setUp() {
        bytes = pages * PageAllocBenchmark.PAGE_SIZE;
        arena = Arena.ofConfined();
        address = arena.allocate(bytes, PageAllocBenchmark.PAGE_SIZE).address();
    }

    /** Frees the block. */
    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /**
     * Zeroes the block with {@code MemorySegment.fill}.
     *
     * @return the block's address
     */
    @Benchmark
    public long segmentFill() {
        EVERYTHING.asSlice(address, bytes).fill((byte) 0);
        return address;
    }

    /**
     * Zeroes the block with a loop of 8-byte stores.
     *
     * @return the block's address
     */
    @Benchmark
    public long longLoop() {
        for (long off = 0; off < bytes; off += Long.BYTES) {
            EVERYTHING.set(ValueLayout.JAVA_LONG_UNALIGNED, address + off, 0L);
        }
        return address;
    }
}
