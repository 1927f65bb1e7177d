package dev.pagoda.pool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fixes, unfixes, {@code markDirty} and optimistic reads that hit a resident page allocate no Java objects: the
 * thread's allocated bytes (HotSpot's per-thread counter) do not move over a hundred thousand of them. A miss (a load,
 * and every so often an eviction batch) allocates only the buffer view the file read takes, not the OS layer's
 * bookkeeping (a {@code TreeMap} of ranges made ~1.9 KB of garbage per miss before it became a treap in arrays).
 */
class HotPathAllocationTest {
    private static final long PAGE = 4096;
    private static final int ROUNDS = 100_000;
    /** A reader that captures nothing: one instance for the life of the class. */
    private static final PageReader FIRST_LONG = (f, o) -> f.get(ValueLayout.JAVA_LONG, o);

    @TempDir
    Path dir;

    @Test
    void shouldAllocateNothingOnHits() throws Exception {
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        // com.sun.management.ThreadMXBean, reached reflectively: this module does not read jdk.management.
        final Method allocated = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getCurrentThreadAllocatedBytes");
        try (BufferPool pool = BufferPool.builder().file(dir.resolve("p")).pageSize(PAGE).maxPages(64)
                .memoryBudget(16 * PAGE).jmx(false).build()) {
            for (int i = 0; i < 16; i++) {
                pool.allocatePage();
                pool.fixShared(i); // resident from here on
                pool.unfixShared(i);
            }
            final MemorySegment frames = pool.frames();
            long sum = 0;
            for (int warm = 0; warm < 5; warm++) { // warm up: let the JIT compile the paths
                sum += hits(pool, frames);
            }
            // What reading the counter reflectively allocates itself (a boxed result, an argument array).
            final long b0 = (long) allocated.invoke(threads);
            final long b1 = (long) allocated.invoke(threads);
            // A window may catch the JIT replacing code (an on-stack replacement allocates a little, once); an
            // allocation per operation would show in every window as megabytes.
            long least = Long.MAX_VALUE;
            for (int window = 0; window < 5 && least != 0; window++) {
                final long before = (long) allocated.invoke(threads);
                sum += hits(pool, frames);
                final long after = (long) allocated.invoke(threads);
                least = Math.min(least, (after - before) - (b1 - b0));
            }
            assertTrue(sum != 0);
            assertEquals(0, least, "bytes allocated by " + ROUNDS + " rounds of hits, beyond what reading the "
                    + "counter costs");
            assertEquals(0, pool.stats().misses() - 16, "all hits");
        }
    }

    @Test
    void shouldAllocateLittleOnMisses() throws Exception {
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final Method allocated = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getCurrentThreadAllocatedBytes");
        try (BufferPool pool = BufferPool.builder().file(dir.resolve("m")).pageSize(PAGE).maxPages(512)
                .memoryBudget(16 * PAGE).jmx(false).build()) {
            for (int i = 0; i < 512; i++) {
                pool.allocatePage();
            }
            final SplittableRandom random = new SplittableRandom(3);
            misses(pool, random, 50_000); // warm up
            double least = Double.MAX_VALUE;
            for (int window = 0; window < 3; window++) {
                final long missesBefore = pool.stats().misses();
                final long before = (long) allocated.invoke(threads);
                misses(pool, random, 20_000);
                final long after = (long) allocated.invoke(threads);
                least = Math.min(least, (after - before) / (double) (pool.stats().misses() - missesBefore));
            }
            final double perMiss = least;
            assertTrue(perMiss < 256, () -> "bytes allocated per miss: " + perMiss);
        }
    }

    private static void misses(final BufferPool pool, final SplittableRandom random, final int rounds) {
        for (int i = 0; i < rounds; i++) {
            final long pid = random.nextInt(512);
            pool.fixShared(pid);
            pool.unfixShared(pid);
        }
    }

    private static long hits(final BufferPool pool, final MemorySegment frames) {
        long sum = 0;
        for (int i = 0; i < ROUNDS; i++) {
            final long pid = i & 15;
            final long off = pool.fixExclusive(pid);
            frames.set(ValueLayout.JAVA_LONG, off, i);
            pool.markDirty(pid);
            pool.unfixExclusive(pid);
            final long shared = pool.fixShared(pid);
            sum += frames.get(ValueLayout.JAVA_LONG, shared);
            pool.unfixShared(pid);
            sum += pool.readOptimistic(pid, FIRST_LONG);
        }
        return sum;
    }
}
