package dev.pagoda.bench.demo;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.HeapResidency;
import dev.pagoda.alloc.HeapStats;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.ScavengerStats;
import dev.pagoda.os.Platform;
import org.HdrHistogram.Histogram;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Pagoda in thirty seconds, on the default heap ({@code Heap.create()}): an off-heap cache churns values of
 * long-tailed sizes from two threads while a progress line shows operations per second, live bytes, the
 * process's resident set, bytes the scavenger gave back and huge-page coverage; then the cache drops 90% of its
 * entries and the resident set falls as the background scavenger returns the free pages; then a summary.
 *
 * <p>Run it from a fresh clone with {@code mvn -q -B -Pdemo -pl bench -am verify -DskipTests}, or, once built,
 * {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.pagoda.bench.demo.Demo}.
 * Options: {@code --seconds=N} scales both phases (default 30 in total), {@code --entries=N} the cache's size.
 */
public final class Demo {
    private static final long MIB = 1L << 20;
    private static final long WARM_UP_NANOS = 3_000_000_000L;
    @SuppressWarnings("restricted")
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final Heap heap = Heap.builder().name("demo-cache").build();
    /** The cache: slot {@code i} holds the address of entry {@code i}'s value, 0 when empty. */
    private final AtomicLongArray values;
    private final LongAdder ops = new LongAdder();
    private final LongAdder liveBytes = new LongAdder();
    private final AtomicBoolean churning = new AtomicBoolean(true);
    private final Histogram allocNanos = new Histogram(10_000_000_000L, 2);

    private Demo(final int entries) {
        this.values = new AtomicLongArray(entries);
    }

    /**
     * Runs the demonstration.
     *
     * @param args {@code --seconds=N}, {@code --entries=N}
     * @throws InterruptedException if interrupted while waiting for the threads
     */
    public static void main(final String[] args) throws InterruptedException {
        int seconds = 30;
        int entries = 120_000;
        for (final String a : args) {
            if (a.startsWith("--seconds=")) {
                seconds = Integer.parseInt(a.substring(10));
            } else if (a.startsWith("--entries=")) {
                entries = Integer.parseInt(a.substring(10));
            } else {
                throw new IllegalArgumentException("unknown option " + a + "; known: --seconds=N, --entries=N");
            }
        }
        if (seconds < 6 || entries < 1000) {
            throw new IllegalArgumentException("need --seconds >= 6 and --entries >= 1000: seconds=" + seconds
                    + ", entries=" + entries);
        }
        final Demo demo = new Demo(entries);
        try {
            demo.run(seconds);
        } finally {
            demo.heap.close();
        }
    }

    /** A value size: mostly small, some kilobytes, a few hundred kilobytes (every page gets written). */
    private static long size(final SplittableRandom r) {
        final int kind = r.nextInt(100);
        if (kind < 80) {
            return 32 + r.nextInt(1024);
        }
        return kind < 97 ? 1024 + r.nextInt(15 * 1024) : (16L << 10) + r.nextInt(240 << 10);
    }

    private void run(final int seconds) throws InterruptedException {
        final Platform p = Platform.current();
        System.out.printf(Locale.ROOT, "Pagoda demo: an off-heap cache of %,d entries on Heap.create(), 2 threads, %d s%n",
                values.length(), seconds);
        System.out.printf(Locale.ROOT, "  machine: %d CPUs, %s, THP %s%n", p.cpuCount(), p.kernelVersion(),
                p.thp().enabled().token());
        System.out.printf(Locale.ROOT, "  huge pages: %s (%s)%n", heap.hugePages().inForce(), heap.hugePages().reason());
        System.out.println("\nPhase 1: churn (70% get, 20% replace, 10% remove; values 32 B - 256 KiB, every byte written)");
        final int churnSeconds = seconds * 55 / 100;
        final Thread[] workers = new Thread[2];
        final CountDownLatch done = new CountDownLatch(workers.length);
        for (int t = 0; t < workers.length; t++) {
            final long seed = 1000 + t;
            workers[t] = Thread.ofPlatform().name("cache-" + t).start(() -> {
                try {
                    churn(seed);
                } finally {
                    done.countDown();
                }
            });
        }
        long peakRss = 0;
        long lastOps = 0;
        for (int s = 1; s <= churnSeconds; s++) {
            Thread.sleep(1000);
            final long total = ops.sum();
            peakRss = Math.max(peakRss, progress(s, total - lastOps));
            lastOps = total;
        }
        churning.set(false);
        done.await();
        final long churned = ops.sum();
        System.out.println("\nPhase 2: the cache drops 90% of its entries; the background scavenger gives the pages back");
        final long liveBefore = liveBytes.sum();
        dropNinetyPercent();
        for (int s = churnSeconds + 1; s <= seconds; s++) {
            Thread.sleep(1000);
            peakRss = Math.max(peakRss, progress(s, 0));
        }
        summary(churned, churnSeconds, liveBefore, peakRss);
    }

    /** One cache thread: random operations on random entries until the churn phase ends. */
    private void churn(final long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final Histogram mine = new Histogram(10_000_000_000L, 2);
        final int n = values.length();
        final long recordFrom = System.nanoTime() + WARM_UP_NANOS;
        while (churning.get()) {
            if (System.nanoTime() < recordFrom) {
                mine.reset(); // the first seconds fill the cache and compile the code: not the steady state
            }
            for (int k = 0; k < 1024; k++) {
                final int i = r.nextInt(n);
                final int op = r.nextInt(100);
                if (op < 70) {
                    final long v = values.get(i);
                    if (v != 0) {
                        ALL.get(ValueLayout.JAVA_LONG_UNALIGNED, v); // a get reads the value's header
                    }
                } else if (op < 90) {
                    final long size = size(r);
                    final long t0 = System.nanoTime();
                    final long v = heap.allocate(size);
                    mine.recordValue(Math.min(System.nanoTime() - t0, 9_999_999_999L));
                    for (long off = 0; off < size; off += 4096) {
                        ALL.set(ValueLayout.JAVA_BYTE, v + off, (byte) i);
                    }
                    ALL.set(ValueLayout.JAVA_LONG_UNALIGNED, v, i);
                    replace(i, v);
                } else {
                    replace(i, 0);
                }
            }
            ops.add(1024);
        }
        synchronized (allocNanos) {
            allocNanos.add(mine);
        }
    }

    /** Puts {@code v} (or 0 to remove) into slot {@code i} and frees the value it replaces, whoever made it. */
    private void replace(final int i, final long v) {
        if (v != 0) {
            liveBytes.add(heap.usableSize(v)); // before it is published: another thread may free it at once
        }
        final long old = values.getAndSet(i, v);
        if (old != 0) {
            liveBytes.add(-heap.usableSize(old));
            heap.free(old); // often another thread's allocation: a remote free
        }
    }

    private void dropNinetyPercent() {
        final SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < values.length(); i++) {
            if (r.nextInt(10) != 0) {
                replace(i, 0);
            }
        }
    }

    /** Prints one progress line; returns the RSS it saw. */
    private long progress(final int second, final long opsThisSecond) {
        final HeapResidency r = heap.residency();
        final HeapStats hs = heap.stats();
        final ScavengerStats sc = hs.pages().scavenger();
        System.out.printf(Locale.ROOT, "  t=%3ds  %6.2f M ops/s  live %6d MiB  RSS %6d MiB  heap resident %6d MiB  "
                        + "released %6d MiB (inside spans %4d)  huge pages %3.0f%%%n", second, opsThisSecond / 1e6,
                liveBytes.sum() / MIB, r.processRssBytes() / MIB, r.residentBytes() / MIB,
                sc.releasedBytes() / MIB, hs.spanReleasedBytes() / MIB, 100 * r.hugePageCoverage());
        return r.processRssBytes();
    }

    private void summary(final long churned, final int churnSeconds, final long liveBefore, final long peakRss) {
        final HeapResidency r = heap.residency();
        final PageHeapStats s = heap.stats().pages();
        final ScavengerStats sc = s.scavenger();
        System.out.println("\nSummary");
        System.out.printf(Locale.ROOT, "  churn: %,d operations in %d s (%.2f M ops/s), allocate p50 %d ns, p99.9 %d ns, "
                        + "max %d ns (after 3 s of warm-up; zeroing included)%n", churned, churnSeconds, churned / 1e6 / churnSeconds,
                allocNanos.getValueAtPercentile(50), allocNanos.getValueAtPercentile(99.9), allocNanos.getMaxValue());
        System.out.printf(Locale.ROOT, "  live: %d MiB before the drop, %d MiB after%n", liveBefore / MIB,
                liveBytes.sum() / MIB);
        System.out.printf(Locale.ROOT, "  process RSS: peak %d MiB, now %d MiB (the JVM itself included)%n",
                peakRss / MIB, r.processRssBytes() / MIB);
        System.out.printf(Locale.ROOT, "  heap: %d MiB mapped, %d MiB resident; retained %d MiB against a goal of %d MiB "
                + "(live pages + 10%%)%n", r.mappedBytes() / MIB, r.residentBytes() / MIB, sc.retainedBytes() / MIB,
                sc.goalBytes() / MIB);
        System.out.printf(Locale.ROOT, "  scavenger: %d MiB released in the background in %d cycles, %.1f ms of work; "
                + "%d MiB on demand%n", sc.releasedBackgroundBytes() / MIB, sc.cycles(), sc.workNanos() / 1e6,
                sc.releasedOnDemandBytes() / MIB);
        System.out.printf(Locale.ROOT, "  inside spans: %d MiB of partly used size-class spans given back while their "
                + "survivors live on%n", heap.stats().spanReleasedBytes() / MIB);
    }
}
