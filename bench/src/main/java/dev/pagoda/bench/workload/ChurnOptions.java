package dev.pagoda.bench.workload;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The settings of a churn workload ({@link CacheChurnWorkload}, {@link BufferPoolWorkload}), from
 * {@code --key=value} arguments and the {@code --quick} flag.
 *
 * @param threads       the worker threads ({@code --threads})
 * @param seconds       the measured time per allocator ({@code --seconds})
 * @param warmupSeconds the unmeasured churn after the fill, per allocator ({@code --warmup-seconds})
 * @param allocators    the allocators, in running order ({@code --allocators}, comma separated)
 * @param out           the folder of the results ({@code --out})
 * @param seed          the seed of every random draw ({@code --seed})
 * @param entries       the cache's key slots, which bound its live entries ({@code --entries})
 * @param maxBytes      the buffer pool's largest working set ({@code --max-bytes}, with an optional {@code k},
 *                      {@code m} or {@code g} suffix)
 * @param pageSizes     the buffer pool's page sizes, each a power of two, drawn with equal odds
 *                      ({@code --page-sizes}, comma separated, with optional suffixes)
 * @param quick         whether the {@link #QUICK} sizes were the starting point ({@code --quick})
 */
record ChurnOptions(int threads, int seconds, int warmupSeconds, List<String> allocators, Path out, long seed,
                    int entries, long maxBytes, List<Integer> pageSizes, boolean quick) {
    /** The defaults: two threads, 20 measured seconds, 200,000 cache entries, a 512 MiB buffer pool. */
    static final ChurnOptions DEFAULTS = new ChurnOptions(2, 20, 2, List.of("pagoda"),
            Path.of("bench", "results"), 42, 200_000, 512L << 20, List.of(8 << 10, 16 << 10), false);
    /** What {@code --quick} starts from: everything small, for a smoke run of a few seconds per allocator. */
    static final ChurnOptions QUICK = new ChurnOptions(2, 2, 1, List.of("pagoda"),
            Path.of("bench", "results"), 42, 20_000, 64L << 20, List.of(8 << 10, 16 << 10), true);

    ChurnOptions {
        if (threads <= 0 || seconds <= 0 || warmupSeconds < 0 || entries < threads || maxBytes < (1 << 20)
                || allocators.isEmpty()) {
            throw new IllegalArgumentException("threads and seconds must be positive, warm-up not negative, "
                    + "entries at least the threads, max bytes at least 1 MiB, allocators not empty: " + threads
                    + ", " + seconds + ", " + warmupSeconds + ", " + entries + ", " + maxBytes + ", " + allocators);
        }
        allocators = List.copyOf(allocators);
        pageSizes = List.copyOf(pageSizes);
        if (pageSizes.isEmpty() || pageSizes.stream().anyMatch(size -> size < 16 || Integer.bitCount(size) != 1)) {
            throw new IllegalArgumentException("page sizes must be powers of two of at least 16 bytes: "
                    + pageSizes);
        }
    }

    /**
     * The defaults, or {@link #QUICK} if {@code args} has {@code --quick}, changed by {@code args}.
     *
     * @param args       {@code --key=value} arguments and {@code --quick}
     * @param allocators the allocators the workload runs unless told, and the only ones it accepts
     * @return the options
     * @throws IllegalArgumentException if an argument is unknown, its value malformed, or an allocator not
     *                                  among {@code allocators}
     */
    static ChurnOptions parse(final List<String> args, final List<String> allocators) {
        final ChurnOptions base = args.contains("--quick") ? QUICK : DEFAULTS;
        int threads = base.threads;
        int seconds = base.seconds;
        int warmupSeconds = base.warmupSeconds;
        List<String> chosen = allocators;
        Path out = base.out;
        long seed = base.seed;
        int entries = base.entries;
        long maxBytes = base.maxBytes;
        List<Integer> pageSizes = base.pageSizes;
        for (final String arg : args) {
            if (arg.equals("--quick")) {
                continue;
            }
            final int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("expected --key=value or --quick, got " + arg);
            }
            final String value = arg.substring(eq + 1);
            switch (arg.substring(2, eq)) {
                case "threads" -> threads = Integer.parseInt(value);
                case "seconds" -> seconds = Integer.parseInt(value);
                case "warmup-seconds" -> warmupSeconds = Integer.parseInt(value);
                case "allocators" -> chosen = Arrays.asList(value.split(","));
                case "out" -> out = Path.of(value);
                case "seed" -> seed = Long.parseLong(value);
                case "entries" -> entries = Integer.parseInt(value);
                case "max-bytes" -> maxBytes = BurstIdleOptions.bytes(value);
                case "page-sizes" -> pageSizes = Arrays.stream(value.split(","))
                        .map(size -> Math.toIntExact(BurstIdleOptions.bytes(size))).toList();
                default -> throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        for (final String name : chosen) {
            if (!allocators.contains(name)) {
                throw new IllegalArgumentException("allocator " + name + " is not run here; known: " + allocators);
            }
        }
        return new ChurnOptions(threads, seconds, warmupSeconds, chosen, out, seed, entries, maxBytes, pageSizes,
                base == QUICK);
    }

    /**
     * The arguments that give a child process this run's workload settings (not the allocators or the folder).
     *
     * @return {@code --key=value} arguments for {@link #parse}
     */
    List<String> workloadArgs() {
        final List<String> args = new ArrayList<>();
        args.add("--threads=" + threads);
        args.add("--seconds=" + seconds);
        args.add("--warmup-seconds=" + warmupSeconds);
        args.add("--seed=" + seed);
        args.add("--entries=" + entries);
        args.add("--max-bytes=" + maxBytes);
        args.add("--page-sizes=" + String.join(",", pageSizes.stream().map(String::valueOf).toList()));
        return args;
    }
}
