package dev.pagoda.bench;

import dev.pagoda.alloc.Heap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * Producer/consumer: one thread allocates blocks and hands them over a single-producer single-consumer ring, the
 * other frees them — every free is a cross-thread (remote) free. Each JMH group is one allocator with its two
 * threads; the score of the group is per block moved. Non-zeroing peers only: Pagoda with {@code zeroing(false)},
 * {@code malloc}/{@code free} through FFM, Netty's pooled direct buffers (handed over as objects).
 *
 * <p>The ring holds longs (addresses; for Netty, indexes into a parallel array of buffers), so the hand-over
 * allocates nothing. When the ring is full the producer spins, when empty the consumer does, so the slower side
 * sets the pace. Run: {@code java -jar bench/target/benchmarks.jar CrossThreadBenchmark -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m",
        "-Dio.netty.allocator.useCacheForAllThreads=true"})
@State(Scope.Group)
public class CrossThreadBenchmark {
    private static final int RING = 1024;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);
    @SuppressWarnings("restricted")
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** The block size. */
    @Param({"64", "1024"})
    public int size;

    private final long[] ring = new long[RING];
    private final ByteBuf[] buffers = new ByteBuf[RING];
    /** Next slot to write (producer) and to read (consumer), each owned by one thread, read by the other. */
    private final long[] cursors = new long[16];
    private static final VarHandle CURSOR = MethodHandles.arrayElementVarHandle(long[].class);
    private Heap heap;

    /** Creates the state; JMH calls it. */
    public CrossThreadBenchmark() {
    }

    /** Builds the heap. */
    @Setup(Level.Trial)
    public void setUp() {
        heap = Heap.builder().zeroing(false).jmx(false).build();
    }

    /**
     * Closes the heap (blocks still in the ring die with it); the malloc and Netty blocks left in the ring at
     * the end of a trial, at most {@value #RING}, are leaked to the fork's exit.
     */
    @TearDown(Level.Trial)
    public void tearDown() {
        heap.close();
    }

    /** Waits for room, then publishes {@code value}; false if the iteration ended first (JMH's pattern). */
    private boolean push(final long value, final Control control) {
        final long head = (long) CURSOR.getOpaque(cursors, 0);
        while (head - (long) CURSOR.getAcquire(cursors, 8) >= RING) {
            if (control.stopMeasurement) {
                return false;
            }
            Thread.onSpinWait();
        }
        SLOTS.setOpaque(ring, (int) (head & (RING - 1)), value);
        CURSOR.setRelease(cursors, 0, head + 1);
        return true;
    }

    /** Waits for a value and takes it; 0 if the iteration ended first. */
    private long pop(final Control control) {
        final long tail = (long) CURSOR.getOpaque(cursors, 8);
        while ((long) CURSOR.getAcquire(cursors, 0) == tail) {
            if (control.stopMeasurement) {
                return 0;
            }
            Thread.onSpinWait();
        }
        final long v = (long) SLOTS.getOpaque(ring, (int) (tail & (RING - 1)));
        CURSOR.setRelease(cursors, 8, tail + 1);
        return v;
    }

    /**
     * Pagoda: allocate, write a byte, hand over.
     *
     * @param control JMH's iteration control
     * @return the address
     */
    @Benchmark
    @Group("pagoda")
    @GroupThreads(1)
    public long pagodaProduce(final Control control) {
        final long a = heap.allocate(size);
        EVERYTHING.set(ValueLayout.JAVA_BYTE, a, (byte) 1);
        if (!push(a, control)) {
            heap.free(a);
        }
        return a;
    }

    /**
     * Pagoda: take over and free (a remote free).
     *
     * @param control JMH's iteration control
     * @return the address
     */
    @Benchmark
    @Group("pagoda")
    @GroupThreads(1)
    public long pagodaConsume(final Control control) {
        final long a = pop(control);
        if (a != 0) {
            heap.free(a);
        }
        return a;
    }

    /**
     * malloc: allocate, write a byte, hand over.
     *
     * @param control JMH's iteration control
     * @return the address
     */
    @Benchmark
    @Group("malloc")
    @GroupThreads(1)
    public long mallocProduce(final Control control) {
        final long a = Libc.malloc(size);
        EVERYTHING.set(ValueLayout.JAVA_BYTE, a, (byte) 1);
        if (!push(a, control)) {
            Libc.free(a);
        }
        return a;
    }

    /**
     * malloc: take over and free.
     *
     * @param control JMH's iteration control
     * @return the address
     */
    @Benchmark
    @Group("malloc")
    @GroupThreads(1)
    public long mallocConsume(final Control control) {
        final long a = pop(control);
        if (a != 0) {
            Libc.free(a);
        }
        return a;
    }

    /**
     * Netty pooled: allocate a direct buffer, write a byte, hand it over in the ring's parallel array.
     *
     * @param control JMH's iteration control
     * @return the slot
     */
    @Benchmark
    @Group("netty")
    @GroupThreads(1)
    public long nettyProduce(final Control control) {
        final long head = (long) CURSOR.getOpaque(cursors, 0);
        final ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(size, size);
        b.setByte(0, 1);
        while (head - (long) CURSOR.getAcquire(cursors, 8) >= RING) {
            if (control.stopMeasurement) {
                b.release();
                return head;
            }
            Thread.onSpinWait();
        }
        buffers[(int) (head & (RING - 1))] = b;
        CURSOR.setRelease(cursors, 0, head + 1);
        return head;
    }

    /**
     * Netty pooled: take the buffer over (before giving its slot back) and release it.
     *
     * @param control JMH's iteration control
     * @return the slot, -1 if the iteration ended first
     */
    @Benchmark
    @Group("netty")
    @GroupThreads(1)
    public long nettyConsume(final Control control) {
        final long tail = (long) CURSOR.getOpaque(cursors, 8);
        while ((long) CURSOR.getAcquire(cursors, 0) == tail) {
            if (control.stopMeasurement) {
                return -1;
            }
            Thread.onSpinWait();
        }
        final int i = (int) (tail & (RING - 1));
        final ByteBuf b = buffers[i];
        buffers[i] = null;
        CURSOR.setRelease(cursors, 8, tail + 1);
        b.release();
        return tail;
    }
}
