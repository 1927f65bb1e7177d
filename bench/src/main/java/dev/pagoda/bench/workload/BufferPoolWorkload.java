package dev.pagoda.bench.workload;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The buffer-pool churn workload: fixed-size pages, 8 KiB and 16 KiB aligned to their size, pinned (allocated
 * and written whole) and released by several threads, while the working set grows and shrinks. It measures per
 * allocator the throughput (pins plus releases per second), the latency of each allocate and each free
 * (HdrHistogram: p50, p99, p99.9, max), the share of pages that came back misaligned, and the resident set over
 * time: does the allocator give memory back as the pool shrinks? Each allocator runs in a child JVM of its own
 * ({@link BufferPoolChild}), one after the other.
 *
 * <p><b>The pool.</b> The target of live pages follows a triangle wave between 10% and 100% of
 * {@code --max-bytes}, twice over the measured time, starting and ending at 10%; each of the {@code --threads}
 * workers holds its share of the target. A worker below its share pins a page (its size drawn from
 * {@code --page-sizes}), otherwise it releases one of its pages chosen at random, so that at the target it keeps churning. Before the
 * measured {@code --seconds} it fills its share of the 10% and churns there for {@code --warmup-seconds}.
 *
 * <p><b>The allocators.</b> {@code pagoda}: {@code Heap.create()} (zeroing, scavenger on) and
 * {@code heap.allocate(size, alignment)}; {@code pagoda-nozero}: the same heap built with
 * {@code zeroing(false)}; {@code malloc}: glibc's {@code posix_memalign} and {@code free} through FFM;
 * {@code netty-pooled} and {@code netty-adaptive}: Netty's direct buffers, which offer no alignment (the summary's
 * {@code misaligned_pct} says how often a page was not aligned); {@code bytebuffer}:
 * {@code ByteBuffer.allocateDirect(size + alignment - 1).alignedSlice(alignment)}, zeroed, with no free (a
 * release drops the reference; the memory goes back when the GC runs the buffer's cleaner). The zeroing ones,
 * {@code pagoda} and {@code bytebuffer}, are listed apart from the others.
 *
 * <p><b>Usage.</b> Build with {@code mvn -q -B -pl bench -am package -DskipTests}, then, from the repository's
 * root:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.pagoda.bench.workload.BufferPoolWorkload [options]
 * </pre>
 * Options, with defaults: {@code --threads=2}, {@code --seconds=20}, {@code --warmup-seconds=2},
 * {@code --max-bytes=512m}, {@code --page-sizes=8k,16k} (drawn with equal odds, each aligned to itself),
 * {@code --allocators=pagoda-nozero,malloc,netty-pooled,netty-adaptive,pagoda,bytebuffer},
 * {@code --out=bench/results}, {@code --seed=42}; {@code --quick} starts from 64 MiB, 2 measured seconds and 1 of
 * warm-up (the whole run then takes about half a minute). It writes {@code buffer-pool.csv} (the resident set and
 * live bytes every 100 ms), {@code buffer-pool-summary.csv} (header
 * {@code workload,allocator,threads,metric,value,unit}) and {@code buffer-pool-rss.png}, and prints the summary.
 * The default run takes about two and a half minutes and needs about 2.5 GiB of free memory ({@code bytebuffer}
 * lets garbage pile up to its direct-memory limit, twice {@code --max-bytes} plus 1 GiB).
 */
public final class BufferPoolWorkload {
    /** The allocators this workload runs, in the default order. */
    static final List<String> ALLOCATORS =
            List.of("pagoda-nozero", "malloc", "netty-pooled", "netty-adaptive", "pagoda", "bytebuffer");

    private BufferPoolWorkload() {
    }

    /**
     * Runs the workload on each allocator and writes the results.
     *
     * @param args {@code --key=value} options and {@code --quick}, see the class comment
     * @throws IOException          if a child cannot be started or a result cannot be written
     * @throws InterruptedException if interrupted while waiting for a child
     */
    public static void main(final String[] args) throws IOException, InterruptedException {
        ChurnReport.main(args, new ChurnReport.Workload("buffer-pool", BufferPoolChild.class, ALLOCATORS,
                "Buffer-pool churn: resident set over time", true, options -> 2 * options.maxBytes() + (1L << 30),
                options -> String.format(Locale.ROOT, "pages of %s bytes aligned to their size, pinned (written "
                                + "whole) and released by %d threads; live target a triangle wave %.0f%%-100%% of "
                                + "%d MiB, %d times in %d s measured; RSS every %d ms; each allocator in its own JVM",
                        options.pageSizes().stream().map(String::valueOf).collect(Collectors.joining(" or ")),
                        options.threads(), BufferPoolChild.LOW * 100, options.maxBytes() >> 20,
                        BufferPoolChild.WAVES, options.seconds(), ChurnHarness.SAMPLE_PERIOD.toMillis())));
    }
}
