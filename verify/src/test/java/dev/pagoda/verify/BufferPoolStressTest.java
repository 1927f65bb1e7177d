package dev.pagoda.verify;

import dev.pagoda.os.Platform;
import dev.pagoda.pool.BufferPool;
import dev.pagoda.pool.BufferPoolStats;
import dev.pagoda.pool.PageReader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Threads on one {@link BufferPool} of 96 pages with a budget of 24 frames, so the clock evicts all the time (until
 * the writers made 6,000 updates and each reader 2,000 reads, a second at least): writers
 * rewrite whole pages under exclusive fixes, each page carrying its update count, a payload derived from it and a
 * checksum; readers check pages under shared fixes and optimistically; two flushers flush, each again after every
 * 40 or 70 updates; a sampler measures the frames' residency with {@code mincore} once per eviction batch. Every read must see a whole page (its checksum and its payload agree with
 * its count: nothing torn), no reader may see a page's count go back (an update lost by an eviction would reload an
 * older page), and when the threads stop, each page's count equals the updates made to it (nothing lost). After
 * {@code close()} and a reopen every page still holds. The kernel's residency never passes the budget plus one
 * eviction batch.
 *
 * <p>A second test closes the pool while the threads run: every call works or throws {@link IllegalStateException},
 * nothing crashes, and the file holds whole pages only.
 */
class BufferPoolStressTest {
    private static final int PAGE = 4096;
    private static final int PAGES = 96;
    private static final int BUDGET = 24;
    private static final int LONGS = PAGE / Long.BYTES;
    /** The threads run until the writers made this many updates and each reader this many reads (or the cap). */
    private static final long UPDATES = 6000;
    private static final long READS = 2000;
    /** At least this long, so that the sampler and the flusher see the pool busy, and at most the cap. */
    private static final long MIN_MILLIS = 1000;
    private static final long CAP_MILLIS = 60_000;

    @TempDir
    Path dir;

    /** The payload long {@code i} of page {@code pid} at update count {@code count}. */
    private static long payload(final long pid, final long count, final long i) {
        long z = pid * 0x9E3779B97F4A7C15L + count * 0xC2B2AE3D27D4EB4FL + i;
        z = (z ^ (z >>> 31)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 29);
    }

    /** The checksum of a page: its count and payload, folded. */
    private static long checksum(final MemorySegment frames, final long off) {
        long h = 0x84222325CBF29CE4L;
        for (int i = 0; i < LONGS - 1; i++) {
            h = (h ^ frames.get(ValueLayout.JAVA_LONG, off + (long) i * Long.BYTES)) * 0x100000001B3L;
        }
        return h;
    }

    /** Rewrites page {@code pid} at its next count; the caller holds it exclusively. Returns the new count. */
    private static long rewrite(final MemorySegment frames, final long pid, final long off) {
        final long count = frames.get(ValueLayout.JAVA_LONG, off) + 1;
        frames.set(ValueLayout.JAVA_LONG, off, count);
        for (int i = 1; i < LONGS - 1; i++) {
            frames.set(ValueLayout.JAVA_LONG, off + (long) i * Long.BYTES, payload(pid, count, i));
        }
        frames.set(ValueLayout.JAVA_LONG, off + PAGE - Long.BYTES, checksum(frames, off));
        return count;
    }

    /** The page's count if it is whole (checksum and payload agree with it), else -1. */
    private static long wholeCount(final MemorySegment frames, final long pid, final long off) {
        final long count = frames.get(ValueLayout.JAVA_LONG, off);
        if (count == 0) {
            return frames.get(ValueLayout.JAVA_LONG, off + PAGE - Long.BYTES) == 0 ? 0 : -1; // never written
        }
        if (frames.get(ValueLayout.JAVA_LONG, off + PAGE - Long.BYTES) != checksum(frames, off)) {
            return -1;
        }
        for (int i = 1; i < LONGS - 1; i += 37) {
            if (frames.get(ValueLayout.JAVA_LONG, off + (long) i * Long.BYTES) != payload(pid, count, i)) {
                return -1;
            }
        }
        return count;
    }

    private BufferPool open(final Path file) {
        return BufferPool.builder().file(file).pageSize(PAGE).maxPages(PAGES).memoryBudget(BUDGET * PAGE)
                .waitLimit(Duration.ofSeconds(10)).jmx(false).build();
    }

    @Test
    void shouldTearNothingAndLoseNothingUnderEviction() throws Exception {
        final Path file = dir.resolve("pages");
        final AtomicLongArray updates = new AtomicLongArray(PAGES);
        final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        final AtomicLong maxResident = new AtomicLong();
        final AtomicLong optimisticReads = new AtomicLong();
        final AtomicLong sharedReads = new AtomicLong();
        final long osPage = Platform.current().pageSize();
        final BufferPoolStats end;
        final long batch;
        try (BufferPool pool = open(file)) {
            for (int i = 0; i < PAGES; i++) {
                pool.allocatePage();
            }
            batch = pool.evictionBatch();
            final long limit = pool.memoryBudget() + batch * PAGE;
            final AtomicBoolean stop = new AtomicBoolean();
            final List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                final int seed = w;
                threads.add(new Thread(() -> {
                    final SplittableRandom random = new SplittableRandom(seed);
                    final MemorySegment frames = pool.frames();
                    while (!stop.get()) {
                        final int pid = random.nextInt(PAGES);
                        final long off = pool.fixExclusive(pid);
                        final long before = wholeCount(frames, pid, off);
                        if (before != updates.get(pid)) {
                            problems.add("writer: page " + pid + " holds count " + before + " after "
                                    + updates.get(pid) + " updates");
                        }
                        rewrite(frames, pid, off);
                        updates.incrementAndGet(pid);
                        pool.markDirty(pid);
                        pool.unfixExclusive(pid);
                    }
                }, "writer-" + w));
            }
            threads.add(new Thread(() -> {
                final SplittableRandom random = new SplittableRandom(7);
                final long[] seen = new long[PAGES];
                final MemorySegment frames = pool.frames();
                while (!stop.get()) {
                    final int pid = random.nextInt(PAGES);
                    final long off = pool.fixShared(pid);
                    final long count = wholeCount(frames, pid, off);
                    pool.unfixShared(pid);
                    check("shared", pid, count, seen, problems);
                    sharedReads.incrementAndGet();
                }
            }, "shared-reader"));
            threads.add(new Thread(() -> {
                final SplittableRandom random = new SplittableRandom(11);
                final long[] seen = new long[PAGES];
                final WholeCount reader = new WholeCount();
                while (!stop.get()) {
                    final int pid = random.nextInt(PAGES);
                    reader.pid = pid;
                    check("optimistic", pid, pool.readOptimistic(pid, reader), seen, problems);
                    optimisticReads.incrementAndGet();
                }
            }, "optimistic-reader"));
            for (int f = 0; f < 2; f++) { // two, so that flushes also meet on the same page
                final long every = 40 + 30L * f; // updates between two flushes of this flusher
                threads.add(new Thread(() -> {
                    while (!stop.get()) {
                        pool.flush();
                        final long next = total(updates) + every;
                        Await.until(Duration.ofMillis(200), () -> { }, () -> stop.get() || total(updates) >= next);
                    }
                }, "flusher-" + f));
            }
            threads.add(new Thread(() -> {
                while (!stop.get()) {
                    final long resident = pool.residency().residentPages() * osPage;
                    maxResident.accumulateAndGet(resident, Math::max);
                    if (resident > limit) {
                        problems.add("mincore: " + resident + " bytes resident, above budget + batch " + limit);
                    }
                    final long next = pool.stats().evictions() + pool.evictionBatch(); // once per eviction batch
                    Await.until(Duration.ofMillis(50), () -> { },
                            () -> stop.get() || pool.stats().evictions() >= next);
                }
            }, "residency"));
            final List<Throwable> failures = startAll(threads);
            final long start = System.nanoTime();
            // Runs until enough of every kind of access happened (and at least MIN_MILLIS), a thread failed, or the cap.
            Await.until(Duration.ofMillis(CAP_MILLIS), () -> { }, () -> !failures.isEmpty()
                    || (System.nanoTime() - start) / 1_000_000 >= MIN_MILLIS && total(updates) >= UPDATES
                    && optimisticReads.get() >= READS && sharedReads.get() >= READS);
            stop.set(true);
            joinAll(threads);
            assertTrue(failures.isEmpty(), () -> "threads failed: " + failures);
            assertTrue(problems.isEmpty(), () -> problems.size() + " problems, first: " + problems.peek());
            for (int pid = 0; pid < PAGES; pid++) {
                final long off = pool.fixShared(pid);
                assertEquals(updates.get(pid), wholeCount(pool.frames(), pid, off), "count of page " + pid);
                pool.unfixShared(pid);
            }
            pool.flush();
            end = pool.stats();
            assertEquals(0, end.dirtyPages(), "the dirty count came back to zero exactly");
        }
        assertTrue(total(updates) >= UPDATES && optimisticReads.get() >= READS && sharedReads.get() >= READS,
                () -> total(updates) + " updates, " + optimisticReads + " optimistic and " + sharedReads
                        + " shared reads within " + CAP_MILLIS + " ms");
        assertTrue(end.evictions() > UPDATES / 2, () -> "the clock was busy: " + end);
        assertTrue(end.writes() > UPDATES / 4, () -> "dirty pages were written back: " + end);
        assertTrue(maxResident.get() > 0 && maxResident.get() <= (BUDGET + batch) * PAGE,
                () -> "largest residency seen " + maxResident);
        try (BufferPool pool = open(file)) {
            for (int pid = 0; pid < PAGES; pid++) {
                final long off = pool.fixShared(pid);
                assertEquals(updates.get(pid), wholeCount(pool.frames(), pid, off), "page " + pid + " after reopen");
                pool.unfixShared(pid);
            }
        }
    }

    @Test
    void shouldWorkOrRefuseEveryCallRacingCloseAndLeaveOnlyWholePages() throws Exception {
        final Path file = dir.resolve("pages");
        final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        final AtomicLong refused = new AtomicLong();
        for (int round = 0; round < 5; round++) {
            final BufferPool pool = open(file);
            while (pool.pageCount() < PAGES) {
                pool.allocatePage();
            }
            final List<Thread> threads = new ArrayList<>();
            final AtomicLong steps = new AtomicLong();
            for (int t = 0; t < 3; t++) {
                final int seed = round * 10 + t;
                threads.add(new Thread(() -> {
                    final SplittableRandom random = new SplittableRandom(seed);
                    final WholeCount reader = new WholeCount();
                    try {
                        final MemorySegment frames = pool.frames();
                        while (true) {
                            steps.incrementAndGet();
                            final int pid = random.nextInt(PAGES);
                            switch (random.nextInt(3)) {
                                case 0 -> {
                                    final long off = pool.fixExclusive(pid);
                                    try {
                                        if (wholeCount(frames, pid, off) < 0) {
                                            problems.add("torn page " + pid + " under an exclusive fix");
                                        }
                                        rewrite(frames, pid, off);
                                        pool.markDirty(pid);
                                    } finally {
                                        pool.unfixExclusive(pid);
                                    }
                                }
                                case 1 -> {
                                    final long off = pool.fixShared(pid);
                                    try {
                                        if (wholeCount(frames, pid, off) < 0) {
                                            problems.add("torn page " + pid + " under a shared fix");
                                        }
                                    } finally {
                                        pool.unfixShared(pid);
                                    }
                                }
                                default -> {
                                    reader.pid = pid;
                                    if (pool.readOptimistic(pid, reader) < 0) {
                                        problems.add("torn page " + pid + " read optimistically");
                                    }
                                }
                            }
                        }
                    } catch (final IllegalStateException closed) {
                        refused.incrementAndGet(); // the pool closed under this thread: refused, not crashed
                    }
                }, "racer-" + t));
            }
            final List<Throwable> failures = startAll(threads);
            // Close while the racers are mid-work, later in each round: after a number of their accesses, not a guess
            // of time.
            final long wanted = 2_000L * (round + 1);
            assertTrue(Await.until(Duration.ofSeconds(30), () -> { }, () -> steps.get() >= wanted || !failures.isEmpty()),
                    "the racers made no progress");
            pool.close();
            joinAll(threads);
            assertTrue(failures.isEmpty(), () -> "threads failed: " + failures);
        }
        assertTrue(problems.isEmpty(), () -> problems.size() + " problems, first: " + problems.peek());
        assertEquals(15, refused.get(), "every thread met the close as an IllegalStateException");
        try (BufferPool pool = open(file)) {
            for (int pid = 0; pid < PAGES; pid++) {
                final long off = pool.fixShared(pid);
                assertTrue(wholeCount(pool.frames(), pid, off) >= 0, "page " + pid + " on disk is whole");
                pool.unfixShared(pid);
            }
        }
    }

    /** A reusable optimistic reader: the page's whole count, or -1. */
    private static final class WholeCount implements PageReader {
        long pid;

        @Override
        public long read(final MemorySegment frames, final long offset) {
            return wholeCount(frames, pid, offset);
        }
    }

    private static long total(final AtomicLongArray counts) {
        long sum = 0;
        for (int i = 0; i < counts.length(); i++) {
            sum += counts.get(i);
        }
        return sum;
    }

    private static void check(final String who, final int pid, final long count, final long[] seen,
                              final ConcurrentLinkedQueue<String> problems) {
        if (count < 0) {
            problems.add(who + ": torn page " + pid);
        } else if (count < seen[pid]) {
            problems.add(who + ": page " + pid + " went back from count " + seen[pid] + " to " + count + " (lost)");
        } else {
            seen[pid] = count;
        }
    }

    private static List<Throwable> startAll(final List<Thread> threads) {
        final List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (final Thread t : threads) {
            t.setUncaughtExceptionHandler((th, e) -> failures.add(e));
            t.start();
        }
        return failures;
    }

    private static void joinAll(final List<Thread> threads) throws InterruptedException {
        for (final Thread t : threads) {
            t.join(30_000);
            assertTrue(!t.isAlive(), t.getName() + " did not stop");
        }
    }
}
