package dev.pagoda.bench;

import dev.pagoda.bench.vmcache.DataFile;
import dev.pagoda.os.OsMemory;
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
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The floor under a buffer pool's miss, by how the pool gets its frame: the cost of reading one page from the OS page
 * cache into a frame, in ns per page.
 *
 * <ul>
 *   <li>{@code residentFrame}: into a frame that is resident already, as a hash-table pool reuses its victim's frame
 *   (and as any pool does that keeps its memory);</li>
 *   <li>{@code releasedFrame}: into a frame given back to the OS just before with {@code unused}
 *   ({@code MADV_DONTNEED}) and made Ready again, one release per page, as a vmcache pool that evicts page by page:
 *   the read faults the frame in again, a zeroed 4 KiB page at a time, and each release is a TLB shootdown;</li>
 *   <li>{@code batchReleasedFrames}: the same, but 64 scattered frames are given back in one
 *   {@link OsMemory#unused(long[], long[], int)} ({@code process_madvise}), as Pagoda's pool evicts: the refaults
 *   remain, the shootdowns are shared.</li>
 * </ul>
 * The difference between the first and the last is what returning evicted memory to the OS costs per miss on the
 * machine that runs it; no pool that keeps its resident memory at a budget by giving frames back can miss for less.
 * The file (64 MiB, in the page cache after it is written) is read at random pages.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar FrameRefaultBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx512m"})
@State(Scope.Thread)
public class FrameRefaultBenchmark {
    /** Frames released in one batch, as many as an eviction batch of the pool takes. */
    static final int BATCH = 64;
    private static final int FILE_PAGES = 4096;
    private static final int DRAWS = 1 << 16;

    /** Bytes per page. */
    @Param({"16384"})
    public int pageSize;

    private Path file;
    private FileChannel channel;
    private OsMemory os;
    private long frames;
    private long framesBytes;
    /** A view of every frame of the region, made once, so that reading allocates nothing. */
    private ByteBuffer[] views;
    private final long[] addresses = new long[BATCH];
    private final long[] lengths = new long[BATCH];
    private int[] pids;
    private int next;
    private int frame;

    /** Creates the state; JMH calls it. */
    public FrameRefaultBenchmark() {
    }

    /**
     * Writes the file and maps {@code 2 × BATCH} frames, all Ready.
     *
     * @throws IOException if the file cannot be written or opened
     */
    @Setup(Level.Trial)
    @SuppressWarnings("restricted")
    public void open() throws IOException {
        file = DataFile.create(DataFile.directory(), "refault-bench-" + ProcessHandle.current().pid() + ".pages",
                FILE_PAGES, pageSize);
        channel = FileChannel.open(file, StandardOpenOption.READ);
        os = OsMemory.system();
        framesBytes = 2L * BATCH * pageSize;
        frames = os.reserve(framesBytes);
        os.map(frames, framesBytes);
        os.used(frames, framesBytes);
        views = new ByteBuffer[2 * BATCH];
        for (int i = 0; i < views.length; i++) {
            views[i] = MemorySegment.ofAddress(frames + (long) i * pageSize).reinterpret(pageSize).asByteBuffer();
        }
        for (int i = 0; i < BATCH; i++) { // every other frame: 64 runs, none adjacent, as scattered pages are
            addresses[i] = frames + 2L * i * pageSize;
            lengths[i] = pageSize;
        }
        final SplittableRandom random = new SplittableRandom(42);
        pids = new int[DRAWS];
        for (int i = 0; i < DRAWS; i++) {
            pids[i] = random.nextInt(FILE_PAGES);
        }
    }

    /**
     * Frees the frames, closes and deletes the file.
     *
     * @throws IOException if the file cannot be closed or deleted
     */
    @TearDown(Level.Trial)
    public void close() throws IOException {
        os.free(frames, framesBytes);
        channel.close();
        Files.deleteIfExists(file);
    }

    /**
     * Reads a random page into a resident frame.
     *
     * @return the bytes read
     * @throws IOException if the read fails
     */
    @Benchmark
    public int residentFrame() throws IOException {
        frame = (frame + 1) & (2 * BATCH - 1);
        return read(frame);
    }

    /**
     * Gives one frame back, makes it Ready and reads a random page into it.
     *
     * @return the bytes read
     * @throws IOException if the read fails
     */
    @Benchmark
    public int releasedFrame() throws IOException {
        frame = (frame + 1) & (2 * BATCH - 1);
        final long at = frames + (long) frame * pageSize;
        os.unused(at, pageSize);
        os.used(at, pageSize);
        return read(frame);
    }

    /**
     * Gives 64 scattered frames back in one call, then makes each Ready and reads a random page into it.
     *
     * @return the bytes read
     * @throws IOException if a read fails
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int batchReleasedFrames() throws IOException {
        os.unused(addresses, lengths, BATCH);
        int bytes = 0;
        for (int i = 0; i < BATCH; i++) {
            os.used(addresses[i], pageSize);
            bytes += read(2 * i);
        }
        return bytes;
    }

    private int read(final int frameIndex) throws IOException {
        final ByteBuffer view = views[frameIndex].clear();
        final long position = (long) pids[next++ & (DRAWS - 1)] * pageSize;
        int bytes = 0;
        while (view.hasRemaining()) {
            bytes += channel.read(view, position + view.position());
        }
        return bytes;
    }
}
