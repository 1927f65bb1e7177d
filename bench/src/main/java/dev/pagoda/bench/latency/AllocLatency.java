package dev.pagoda.bench.latency;

import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Per-call latency of allocation and of free, in nanoseconds, as distributions: each {@code allocate} and each
 * {@code free} is timed on its own with {@link System#nanoTime()} and recorded into an HdrHistogram, so the table
 * shows the median and the tail (p90 to max) rather than an average. The pattern, per allocator and size: allocate
 * a batch of blocks (touching one byte of each, untimed), free them all, repeat; a batch is large enough that
 * allocations run through both the fast path and its refills (span refills, page-run searches, heap growth).
 *
 * <p>Two groups are compared. Without zeroing: Pagoda's {@code Heap.builder().zeroing(false)}, glibc
 * {@code malloc}/{@code free} through FFM, and Netty's {@code PooledByteBufAllocator} with direct buffers. With
 * zeroing: Pagoda's default heap, glibc {@code calloc}/{@code free}, and the JDK's {@code Arena.ofConfined()}
 * with one {@code allocate} (the free is the arena's {@code close()}). Each allocator and size is its own phase on
 * a fresh instance, with its own warm-up, run on the main thread. The last column is p99.9 / p50; for Pagoda the
 * target is at most 10.
 *
 * <p><b>Usage.</b> Build the benchmark jar and run this class from it:
 * <pre>
 * mvn -q -B -pl bench -am package -DskipTests &amp;&amp; /usr/lib/jvm/temurin-25-jdk-amd64/bin/java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.pagoda.bench.latency.AllocLatency
 * </pre>
 * Options, each {@code --key=value}: {@code --sizes=64,1k,16k,256k} (bytes, with optional {@code k}/{@code m});
 * {@code --batch=1000} blocks per batch, capped at {@code --max-batch-bytes=64m} of live blocks (256 KiB blocks
 * come 256 to a batch by default); {@code --iterations=1000} measured batches and {@code --warmup=200} unrecorded
 * ones per allocator and size; {@code --allocators=pagoda-nozero,malloc,netty-pooled,pagoda,calloc,arena-confined}
 * (a subset, in any order); {@code --free-order=fifo} ({@code lifo} or {@code random}: the order a batch is
 * freed in). The defaults take a minute or two.
 *
 * <p><b>Reading the figures.</b> The first rows are the timer itself: two back-to-back {@code nanoTime()} calls
 * ({@code timer}), and the same timed region around a call that does nothing, made through the very call site
 * the allocators go through ({@code (empty call)}); every figure below includes that much. That call site sees
 * every allocator (the harness calls each of them once before measuring), so none is favoured by inlining. The
 * {@code gc} column counts garbage collections during a phase's measured part: Netty and the arenas allocate Java
 * objects, Pagoda and libc do not. The process is one JVM on a shared machine: the tail (p99.9, max) includes
 * preemptions and page faults, which is what the callers of an allocator see too.
 */
public final class AllocLatency {
    private static final int TIMER_SAMPLES = 1_000_000;

    private AllocLatency() {
    }

    /**
     * Runs the phases and prints the table to standard output.
     *
     * @param args options, {@code --key=value}; see the class comment
     */
    public static void main(final String[] args) {
        run(args, System.out);
    }

    /**
     * Runs the phases and prints the table to a stream: {@link #main(String[])} without the process around it,
     * for the benchmark suite and the tests.
     *
     * @param args options, {@code --key=value}; see the class comment
     * @param out  where the table goes
     * @throws IllegalArgumentException if an option is unknown or malformed
     */
    public static void run(final String[] args, final PrintStream out) {
        // Before Netty is loaded: give the main thread a pooled thread cache, as an event loop has, and spare
        // Netty the sampled leak tracker's stack traces.
        if (System.getProperty("io.netty.allocator.useCacheForAllThreads") == null) {
            System.setProperty("io.netty.allocator.useCacheForAllThreads", "true");
        }
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        final Options options = Options.parse(args);
        out.printf(Locale.ROOT, "AllocLatency: %s, %d CPUs, %s%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), options);
        final List<Subject> subjects = options.subjects();
        pollute(subjects);
        final List<Row> rows = new ArrayList<>();
        rows.add(timer());
        rows.addAll(phase(new Subject.Empty(), options.sizes[0], options));
        for (final Subject s : subjects) {
            for (final long size : options.sizes) {
                rows.addAll(phase(s, size, options));
            }
        }
        print(rows, out);
    }

    /** Calls every subject through the timed loop a few times, so that its call site is the same for all. */
    private static void pollute(final List<Subject> subjects) {
        final List<Subject> all = new ArrayList<>(subjects);
        all.add(new Subject.Empty());
        final Histogram scratch = new Histogram(3);
        for (int round = 0; round < 3; round++) {
            for (final Subject s : all) {
                s.open(16);
                try {
                    batch(s, 64, 16, order(16, "fifo"), scratch, scratch);
                } finally {
                    s.close();
                }
            }
        }
    }

    /** Two back-to-back {@code nanoTime()} calls: the resolution and cost of the timer alone. */
    private static Row timer() {
        final Histogram h = new Histogram(3);
        for (int round = 0; round < 2; round++) {
            h.reset();
            for (int i = 0; i < TIMER_SAMPLES; i++) {
                final long t0 = System.nanoTime();
                final long t1 = System.nanoTime();
                h.recordValue(t1 - t0);
            }
        }
        return new Row("timer", "timer", 0, "nanoTime", h, 0);
    }

    /** One allocator and size: a fresh instance, warm-up batches, then the measured ones. */
    private static List<Row> phase(final Subject s, final long size, final Options o) {
        final int batch = (int) Math.max(1, Math.min(o.batch, o.maxBatchBytes / size));
        final int[] order = order(batch, o.freeOrder);
        final Histogram alloc = new Histogram(3);
        final Histogram free = new Histogram(3);
        final long gcs;
        s.open(batch);
        try {
            for (int it = 0; it < o.warmup; it++) {
                batch(s, size, batch, order, alloc, free);
            }
            alloc.reset();
            free.reset();
            final long before = collections();
            for (int it = 0; it < o.iterations; it++) {
                batch(s, size, batch, order, alloc, free);
            }
            gcs = collections() - before;
        } finally {
            s.close();
        }
        final String group = s instanceof Subject.Empty ? "timer" : s.zeroing() ? "zeroing" : "no zeroing";
        return List.of(new Row(group, s.name(), size, "allocate", alloc, gcs),
                new Row(group, s.name(), size, "free", free, gcs));
    }

    /**
     * One batch: each allocate and free timed alone; touching a block is outside the timed region. A method per
     * batch, called once per batch, so that the JIT compiles it whole (not only as an on-stack replacement)
     * during the warm-up.
     */
    private static void batch(final Subject s, final long size, final int batch, final int[] order,
                              final Histogram alloc, final Histogram free) {
        for (int i = 0; i < batch; i++) {
            final long t0 = System.nanoTime();
            s.allocate(i, size);
            final long t1 = System.nanoTime();
            alloc.recordValue(t1 - t0);
            s.touch(i);
        }
        for (int k = 0; k < batch; k++) {
            final int i = order[k];
            final long t0 = System.nanoTime();
            s.free(i);
            final long t1 = System.nanoTime();
            free.recordValue(t1 - t0);
        }
    }

    /** The order a batch is freed in: allocation order, its reverse, or one fixed shuffle. */
    private static int[] order(final int batch, final String how) {
        final int[] order = new int[batch];
        for (int i = 0; i < batch; i++) {
            order[i] = "lifo".equals(how) ? batch - 1 - i : i;
        }
        if ("random".equals(how)) {
            final SplittableRandom rnd = new SplittableRandom(42);
            for (int i = batch - 1; i > 0; i--) {
                final int j = rnd.nextInt(i + 1);
                final int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    private static long collections() {
        long n = 0;
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    private static void print(final List<Row> rows, final PrintStream out) {
        final String format = "%-10s %-14s %8s %-8s %10s %7s %7s %7s %8s %10s %8s %4s %s%n";
        out.printf(Locale.ROOT, format, "group", "allocator", "size", "op", "count", "p50", "p90", "p99",
                "p99.9", "max", "p99.9/p50", "gc", "");
        String group = null;
        for (final Row r : rows) {
            if (group != null && !group.equals(r.group)) {
                out.println();
            }
            group = r.group;
            final Histogram h = r.histogram;
            final long p50 = h.getValueAtPercentile(50);
            final long p999 = h.getValueAtPercentile(99.9);
            final double ratio = (double) p999 / Math.max(1, p50);
            final String target = r.allocator.startsWith("pagoda") ? (ratio <= 10 ? "ok (<= 10x)" : "MISSED (> 10x)")
                    : "";
            out.printf(Locale.ROOT, format, r.group, r.allocator, r.size == 0 ? "-" : size(r.size), r.op,
                    h.getTotalCount(), p50, h.getValueAtPercentile(90), h.getValueAtPercentile(99), p999,
                    h.getMaxValue(), String.format(Locale.ROOT, "%.1f", ratio), r.gcs, target);
        }
        out.println("All figures in ns, each a single call timed with System.nanoTime(); the timer rows are"
                + " included in every other row.");
    }

    private static String size(final long bytes) {
        if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) {
            return bytes / (1 << 20) + " MiB";
        }
        return bytes >= 1024 && bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " B";
    }

    /** One line of the table. */
    private record Row(String group, String allocator, long size, String op, Histogram histogram, long gcs) {
    }

    /** The command-line options, {@code --key=value}. */
    private record Options(long[] sizes, int batch, long maxBatchBytes, int iterations, int warmup,
                           List<String> allocators, String freeOrder) {
        private static final String ALL = "pagoda-nozero,malloc,netty-pooled,pagoda,calloc,arena-confined";

        static Options parse(final String[] args) {
            final Map<String, String> m = new LinkedHashMap<>();
            m.put("sizes", "64,1k,16k,256k");
            m.put("batch", "1000");
            m.put("max-batch-bytes", "64m");
            m.put("iterations", "1000");
            m.put("warmup", "200");
            m.put("allocators", ALL);
            m.put("free-order", "fifo");
            for (final String arg : args) {
                final int eq = arg.indexOf('=');
                if (!arg.startsWith("--") || eq < 0 || !m.containsKey(arg.substring(2, eq))) {
                    throw new IllegalArgumentException("unknown option " + arg + "; the options, with their defaults: "
                            + m.keySet().stream().map(k -> "--" + k + "=" + m.get(k)).toList());
                }
                m.put(arg.substring(2, eq), arg.substring(eq + 1));
            }
            final long[] sizes = Arrays.stream(m.get("sizes").split(",")).mapToLong(Options::bytes).toArray();
            final String order = m.get("free-order");
            if (!List.of("fifo", "lifo", "random").contains(order)) {
                throw new IllegalArgumentException("--free-order must be fifo, lifo or random: " + order);
            }
            final List<String> allocators = List.of(m.get("allocators").split(","));
            for (final String a : allocators) {
                if (!List.of(ALL.split(",")).contains(a)) {
                    throw new IllegalArgumentException("unknown allocator " + a + "; known: " + ALL);
                }
            }
            final Options o = new Options(sizes, Integer.parseInt(m.get("batch")), bytes(m.get("max-batch-bytes")),
                    Integer.parseInt(m.get("iterations")), Integer.parseInt(m.get("warmup")), allocators, order);
            if (sizes.length == 0 || Arrays.stream(sizes).anyMatch(s -> s <= 0 || s > Integer.MAX_VALUE)
                    || o.batch <= 0 || o.maxBatchBytes <= 0 || o.iterations <= 0 || o.warmup < 0) {
                throw new IllegalArgumentException("sizes (up to 2 GiB), batch, max-batch-bytes and iterations must "
                        + "be positive, warmup not negative: " + o);
            }
            return o;
        }

        private static long bytes(final String text) {
            final String t = text.trim().toLowerCase(Locale.ROOT);
            final long unit = t.endsWith("k") ? 1024 : t.endsWith("m") ? 1 << 20 : 1;
            return Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1)) * unit;
        }

        /** The selected subjects, in the order they were named. */
        List<Subject> subjects() {
            final List<Subject> selected = new ArrayList<>();
            for (final String name : allocators) {
                for (final Subject s : Subject.all()) {
                    if (s.name().equals(name)) {
                        selected.add(s);
                    }
                }
            }
            return selected;
        }

        @Override
        public String toString() {
            return "sizes=" + Arrays.toString(sizes) + ", batch=" + batch + " (at most " + maxBatchBytes
                    + " bytes), iterations=" + iterations + ", warmup=" + warmup + ", allocators=" + allocators
                    + ", free-order=" + freeOrder;
        }
    }
}
