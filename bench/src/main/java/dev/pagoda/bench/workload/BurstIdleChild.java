package dev.pagoda.bench.workload;

import dev.pagoda.os.Platform;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One allocator's burst-then-idle run, in a process of its own; {@link BurstIdleWorkload} starts it. Each
 * cycle allocates blocks of {@link SizeMix} sizes, writing one byte in every page of each, until the live
 * blocks hold the working set; frees 90% of the live blocks, chosen at random; then sleeps. A
 * {@link RssSampler} writes a {@link Sample} to standard output every 100 ms, as CSV lines without header;
 * anything else goes to standard error.
 *
 * <p>Arguments: the allocator's name ({@link AllocatorUnderTest#NAMES}), then the {@code --working-set},
 * {@code --cycles}, {@code --idle-seconds} and {@code --seed} options of {@link BurstIdleWorkload}.
 */
public final class BurstIdleChild {
    /** The share of the live blocks freed after each burst. */
    static final double FREED_SHARE = 0.9;
    /** The time between two samples. */
    static final Duration SAMPLE_PERIOD = Duration.ofMillis(100);
    /** How long the process's own resident set is sampled before the first burst. */
    private static final Duration BASELINE = Duration.ofMillis(500);

    private final BurstIdleOptions options;
    private final AllocatorUnderTest allocator;
    private final RssSampler sampler;
    private final SplittableRandom random;
    private final SizeMix sizes;
    private final LiveBlocks live = new LiveBlocks();
    private final int pageSize;

    private BurstIdleChild(final BurstIdleOptions options, final AllocatorUnderTest allocator,
                           final RssSampler sampler) {
        this.options = options;
        this.allocator = allocator;
        this.sampler = sampler;
        this.random = new SplittableRandom(options.seed());
        this.sizes = SizeMix.burst(random.split());
        final long osPage = Platform.current().pageSize();
        this.pageSize = osPage > 0 ? (int) osPage : 4096;
    }

    /**
     * Runs the workload on one allocator and writes its samples to standard output.
     *
     * @param args the allocator's name, then {@code --key=value} options
     * @throws InterruptedException if the idle sleep is interrupted
     */
    public static void main(final String[] args) throws InterruptedException {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: BurstIdleChild <allocator> [--key=value ...]");
        }
        final BurstIdleOptions options = BurstIdleOptions.parse(Arrays.asList(args).subList(1, args.length));
        final PrintStream out = System.out;
        try (AllocatorUnderTest allocator = AllocatorUnderTest.named(args[0]);
             RssSampler sampler = new RssSampler(SAMPLE_PERIOD, s -> out.println(s.toCsv()))) {
            sampler.start();
            new BurstIdleChild(options, allocator, sampler).run();
        }
        out.flush();
    }

    private void run() throws InterruptedException {
        Thread.sleep(BASELINE);
        for (int cycle = 1; cycle <= options.cycles(); cycle++) {
            sampler.phase(cycle, Phase.ALLOCATE);
            final long started = System.nanoTime();
            while (live.bytes() < options.workingSet()) {
                allocateOne();
            }
            final long allocated = System.nanoTime();
            sampler.phase(cycle, Phase.FREE);
            final int held = live.count();
            for (int n = (int) Math.round(held * FREED_SHARE); n > 0; n--) {
                allocator.free(live.removeRandom(random));
                sampler.liveBytes(live.bytes());
            }
            System.err.printf("%s cycle %d: %d blocks live after the burst, allocated in %d ms, %d freed in %d ms%n",
                    allocator.name(), cycle, held, (allocated - started) / 1_000_000, held - live.count(),
                    (System.nanoTime() - allocated) / 1_000_000);
            sampler.phase(cycle, Phase.IDLE);
            Thread.sleep(Duration.ofSeconds(options.idleSeconds()));
        }
        sampler.phase(options.cycles(), Phase.END);
    }

    private void allocateOne() {
        final int size = sizes.next();
        final long handle = allocator.allocate(size);
        for (int offset = 0; offset < size; offset += pageSize) {
            allocator.touch(handle, offset);
        }
        allocator.touch(handle, size - 1);
        live.add(handle, size);
        sampler.liveBytes(live.bytes());
    }
}
