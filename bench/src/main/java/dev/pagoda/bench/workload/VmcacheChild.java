package dev.pagoda.bench.workload;

import dev.pagoda.bench.vmcache.AccessMix;
import dev.pagoda.bench.vmcache.PageStore;
import dev.pagoda.bench.vmcache.Peer;
import dev.pagoda.os.Platform;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One peer's run of {@link VmcacheWorkload}, in a process of its own. Arguments: the run's name
 * ({@code <peer>@<dataset>x}, the peer before the {@code @}), then {@code --file=}, {@code --pages=},
 * {@code --page-size=}, {@code --budget=} (bytes), {@code --dist=}, {@code --updates=} (percent), {@code --threads=},
 * {@code --seconds=}, {@code --warmup-seconds=}. Prints {@link Sample} lines (the resident set, and as "live bytes"
 * the memory the peer holds for pages by its own count) every 100 ms and {@link Metric} lines at the end.
 *
 * <p>The warm-up reads every page once, as {@code VmcacheBenchmark} does; then each thread walks its own pre-drawn
 * accesses: unmeasured until the warm-up ends, then each access timed alone
 * ({@code nanoTime} before and after, into the thread's HdrHistogram) until the measurement ends. The metrics: the
 * accesses per second of all threads, p50 / p99 / p99.9 / max of one access in ns, the timer's own p50 (two
 * back-to-back {@code nanoTime} calls, included in every access's figure), the resident set at the end and its
 * file-backed part ({@code RssFile}: the mapped file's pages), the peer's own figure, and how much of the data file
 * the OS page cache holds at the end ({@code mincore} over a fresh mapping of it, which touches nothing).
 */
public final class VmcacheChild {
    private static final Duration SAMPLE_PERIOD = Duration.ofMillis(100);
    private static final int ACCESSES = 1 << 20;
    private static final double MIB = 1 << 20;

    private VmcacheChild() {
    }

    /**
     * Runs one peer and writes its samples and metrics to standard output.
     *
     * @param args the run's name, then {@code --key=value} options
     * @throws Exception if the run fails
     */
    public static void main(final String[] args) throws Exception {
        final Peer peer = Peer.ofLabel(args[0].split("@", 2)[0]);
        final Map<String, String> o = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            final String[] kv = args[i].substring(2).split("=", 2);
            o.put(kv[0], kv[1]);
        }
        final Path file = Path.of(o.get("file"));
        final int pages = Integer.parseInt(o.get("pages"));
        final long pageSize = Long.parseLong(o.get("page-size"));
        final long budget = Long.parseLong(o.get("budget"));
        final AccessMix.Distribution dist = AccessMix.Distribution.of(o.get("dist"));
        final int updates = Integer.parseInt(o.get("updates"));
        final int threads = Integer.parseInt(o.get("threads"));
        final long warmupNanos = Duration.ofSeconds(Long.parseLong(o.get("warmup-seconds"))).toNanos();
        final long measureNanos = Duration.ofSeconds(Long.parseLong(o.get("seconds"))).toNanos();

        final long timerP50 = timerP50();
        final List<int[]> mixes = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            mixes.add(AccessMix.draw(dist, pages, updates, 0x9E3779B97F4A7C15L * (t + 1), ACCESSES));
        }
        final List<Metric> metrics = new ArrayList<>();
        try (PageStore store = peer.open(file, pageSize, pages, budget);
             RssSampler sampler = new RssSampler(SAMPLE_PERIOD, s -> System.out.println(s.toCsv()))) {
            sampler.start();
            sampler.phase(1, Phase.WARMUP);
            for (long pid = 0; pid < pages; pid++) {
                store.read(pid);
            }
            final long start = System.nanoTime();
            final long measureStart = start + warmupNanos;
            final long end = measureStart + measureNanos;
            final Worker[] workers = new Worker[threads];
            for (int t = 0; t < threads; t++) {
                workers[t] = new Worker(store, mixes.get(t), measureStart, end);
                workers[t].thread.start();
            }
            boolean measuring = false;
            for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
                if (!measuring && now >= measureStart) {
                    sampler.phase(1, Phase.MEASURE);
                    measuring = true;
                }
                sampler.liveBytes(store.heldBytes());
                Thread.sleep(Math.max(1, Math.min(SAMPLE_PERIOD.toMillis(), (end - now) / 1_000_000)));
            }
            final Histogram all = new Histogram(3);
            long ops = 0;
            for (final Worker w : workers) {
                w.thread.join();
                all.add(w.histogram);
                ops += w.ops;
            }
            sampler.liveBytes(store.heldBytes());
            sampler.phase(1, Phase.END);
            metrics.add(new Metric("ops_per_s", Math.round(ops / (measureNanos / 1e9)), "ops/s"));
            metrics.add(new Metric("access_p50_ns", all.getValueAtPercentile(50), "ns"));
            metrics.add(new Metric("access_p99_ns", all.getValueAtPercentile(99), "ns"));
            metrics.add(new Metric("access_p999_ns", all.getValueAtPercentile(99.9), "ns"));
            metrics.add(new Metric("access_max_ns", all.getMaxValue(), "ns"));
            metrics.add(new Metric("timer_p50_ns", timerP50, "ns"));
            metrics.add(mib("rss_mib", RssSampler.residentBytes()));
            metrics.add(mib("rss_file_mib", statusKib("RssFile:") * 1024));
            metrics.add(mib("held_mib", store.heldBytes()));
            metrics.add(mib("file_cached_mib", cachedBytes(file)));
            metrics.add(mib("budget_mib", budget));
            System.err.println(args[0] + ": " + store);
        }
        for (final Metric m : metrics) {
            System.out.println(m.toLine());
        }
    }

    private static Metric mib(final String name, final long bytes) {
        return new Metric(name, Math.round(bytes / MIB * 10) / 10.0, "MiB");
    }

    /** One thread's loop. */
    private static final class Worker {
        final Thread thread;
        final Histogram histogram = new Histogram(3);
        long ops;
        long sink;

        Worker(final PageStore store, final int[] mix, final long measureStart, final long end) {
            this.thread = Thread.ofPlatform().name("vmcache-worker").unstarted(() -> run(store, mix, measureStart,
                    end));
        }

        private void run(final PageStore store, final int[] mix, final long measureStart, final long end) {
            int i = 0;
            while (System.nanoTime() < measureStart) {
                for (int k = 0; k < 256; k++) {
                    sink += AccessMix.apply(store, mix[i], i);
                    i = (i + 1) & (ACCESSES - 1);
                }
            }
            long n = 0;
            for (long now = System.nanoTime(); now < end; ) {
                for (int k = 0; k < 256; k++) {
                    final long t0 = System.nanoTime();
                    sink += AccessMix.apply(store, mix[i], i);
                    now = System.nanoTime();
                    histogram.recordValue(now - t0);
                    i = (i + 1) & (ACCESSES - 1);
                }
                n += 256;
            }
            ops = n;
        }
    }

    /** The p50 of two back-to-back {@code nanoTime} calls. */
    private static long timerP50() {
        final Histogram h = new Histogram(3);
        for (int i = 0; i < 200_000; i++) {
            final long t0 = System.nanoTime();
            h.recordValue(System.nanoTime() - t0);
        }
        return h.getValueAtPercentile(50);
    }

    /** A {@code /proc/self/status} field in KiB, 0 if absent. */
    private static long statusKib(final String field) {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).replace("kB", "").strip());
                }
            }
        } catch (final IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** How much of a file the page cache holds: {@code mincore} over a read-only mapping that touches nothing. */
    private static long cachedBytes(final Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            final MemorySegment map = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            final Platform platform = Platform.current();
            return platform.residency(map).residentPages() * platform.pageSize();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
