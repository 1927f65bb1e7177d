package dev.pagoda.bench.workload;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;

/**
 * The child-process side of a churn workload: one allocator, {@code --threads} {@link ChurnWorker}s, a
 * {@link RssSampler} writing a {@link Sample} to standard output every 100 ms, and at the end the measured
 * figures as {@link Metric} lines. The phases: {@code start} (the JVM alone, half a second), {@code warmup} (each
 * worker fills its share, then churns unmeasured for {@code --warmup-seconds}), {@code measure}
 * ({@code --seconds} of timed churn), {@code end}.
 */
final class ChurnHarness {
    /** The time between two samples. */
    static final Duration SAMPLE_PERIOD = Duration.ofMillis(100);
    /** How long the process's own resident set is sampled before the fill. */
    private static final Duration BASELINE = Duration.ofMillis(500);
    /** Steps between two looks at the harness's flags. */
    private static final int BATCH = 256;
    /** The main thread's period while workers run: live bytes and the workload's target are refreshed. */
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ChurnOptions options;
    private final ChurnWorkload workload;
    private final RssSampler sampler;
    private final List<ChurnWorker> workers = new ArrayList<>();
    private final CountDownLatch filled;
    private volatile boolean recording;
    private volatile boolean stop;

    /**
     * What a workload gives the harness: its workers and the pace of its working set. It holds the run's
     * settings, the allocator, and the source its workers split their random draws from.
     */
    abstract static class ChurnWorkload {
        /** The run's settings. */
        final ChurnOptions options;
        /** The allocator under test. */
        final AllocatorUnderTest allocator;
        /** The seed's source; the main thread splits it, one stream per worker. */
        final SplittableRandom random;

        /**
         * A workload.
         *
         * @param options   the run's settings
         * @param allocator the allocator under test
         */
        ChurnWorkload(final ChurnOptions options, final AllocatorUnderTest allocator) {
            this.options = options;
            this.allocator = allocator;
            this.random = new SplittableRandom(options.seed());
        }

        /**
         * The worker of one thread; called on the main thread before any worker starts.
         *
         * @param index the thread's index, from 0 to {@code --threads} − 1
         * @return the worker
         */
        abstract ChurnWorker worker(int index);

        /**
         * Told, every 10 ms of the measured time, how far it has got.
         *
         * @param fraction from 0 at its start to 1 at its end
         */
        void progress(final double fraction) {
        }

        /**
         * Figures of the workload's own, from its finished workers.
         *
         * @param workers the workers, their threads ended
         * @return the metrics, maybe none
         */
        List<Metric> metrics(final List<ChurnWorker> workers) {
            return List.of();
        }
    }

    private ChurnHarness(final ChurnOptions options, final ChurnWorkload workload, final RssSampler sampler) {
        this.options = options;
        this.workload = workload;
        this.sampler = sampler;
        this.filled = new CountDownLatch(options.threads());
    }

    /**
     * Runs a workload on the allocator named by {@code args[0]} and writes its samples and metrics to standard
     * output.
     *
     * @param args     the allocator's name, then {@code --key=value} options of {@link ChurnOptions}
     * @param workload makes the workload from the options and the allocator
     * @throws InterruptedException if interrupted while waiting for the workers
     */
    static void run(final String[] args,
                    final BiFunction<ChurnOptions, AllocatorUnderTest, ChurnWorkload> workload)
            throws InterruptedException {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: <child class> <allocator> [--key=value ...]");
        }
        final ChurnOptions options = ChurnOptions.parse(Arrays.asList(args).subList(1, args.length),
                AllocatorUnderTest.NAMES);
        final PrintStream out = System.out;
        final List<Metric> metrics;
        try (AllocatorUnderTest allocator = AllocatorUnderTest.named(args[0])) {
            try (RssSampler sampler = new RssSampler(SAMPLE_PERIOD, s -> out.println(s.toCsv()))) {
                sampler.start();
                metrics = new ChurnHarness(options, workload.apply(options, allocator), sampler).run();
            }
            final String report = allocator.memoryReport();
            if (!report.isEmpty()) {
                System.err.println(report);
            }
            for (final Metric m : metrics) {
                out.println(m.toLine());
            }
            out.flush();
        }
    }

    private List<Metric> run() throws InterruptedException {
        Thread.sleep(BASELINE);
        sampler.phase(1, Phase.WARMUP);
        final List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < options.threads(); i++) {
            final ChurnWorker worker = workload.worker(i);
            workers.add(worker);
            threads.add(Thread.ofPlatform().name("churn-" + i).start(() -> guarded(worker)));
        }
        while (!filled.await(TICK_NANOS, TimeUnit.NANOSECONDS)) {
            sampler.liveBytes(live());
        }
        System.err.printf("%d workers filled %d MiB%n", workers.size(), live() >> 20);
        tick(TimeUnit.SECONDS.toNanos(options.warmupSeconds()), false);
        sampler.phase(1, Phase.MEASURE);
        final long started = System.nanoTime();
        recording = true;
        tick(TimeUnit.SECONDS.toNanos(options.seconds()), true);
        stop = true;
        for (final Thread t : threads) {
            t.join();
        }
        final double seconds = (System.nanoTime() - started) / 1e9;
        sampler.liveBytes(live());
        sampler.phase(1, Phase.END);
        final OpStats total = new OpStats();
        long sink = 0;
        for (final ChurnWorker w : workers) {
            total.add(w.stats);
            sink ^= w.sink;
        }
        System.err.println("checksum of the bytes read: " + Long.toHexString(sink));
        final List<Metric> metrics = new ArrayList<>(total.metrics(seconds));
        metrics.add(new Metric("measured_s", seconds, "s"));
        metrics.addAll(workload.metrics(workers));
        return metrics;
    }

    /** Runs the main thread's period for {@code nanos}: publishes live bytes, and progress if measuring. */
    private void tick(final long nanos, final boolean measuring) {
        final long start = System.nanoTime();
        for (long elapsed = 0; elapsed < nanos; elapsed = System.nanoTime() - start) {
            if (measuring) {
                workload.progress((double) elapsed / nanos);
            }
            sampler.liveBytes(live());
            LockSupport.parkNanos(Math.min(TICK_NANOS, nanos - elapsed));
        }
    }

    private long live() {
        long bytes = 0;
        for (final ChurnWorker w : workers) {
            bytes += w.published();
        }
        return bytes;
    }

    /** Runs a worker; if it fails, the process ends at once, rather than wait for a fill that never comes. */
    private void guarded(final ChurnWorker worker) {
        try {
            loop(worker);
        } catch (final Throwable t) {
            System.err.println(Thread.currentThread().getName() + " failed:");
            t.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }
    }

    private void loop(final ChurnWorker worker) {
        worker.fill();
        worker.publish();
        filled.countDown();
        while (!stop) {
            final boolean record = recording;
            for (int i = 0; i < BATCH; i++) {
                worker.step(record);
            }
            worker.publish();
        }
    }
}
