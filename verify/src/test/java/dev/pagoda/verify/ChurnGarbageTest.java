package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cache churn makes no Java garbage: two threads replace values in a shared table, so most frees are remote and
 * spans are queued on their partial lists all the time. A node allocated per queued span once made 5.7 bytes of
 * garbage per operation here, which grew the JVM's heap by a hundred MiB in the cache-churn workload.
 */
class ChurnGarbageTest {
    private static final int ENTRIES = 50_000;
    private static final int WARM_UP = 2_000_000;
    private static final int MEASURED = 4_000_000;

    @Test
    void remoteFreesAndRequeuedSpansAllocateNoJavaObjects() throws Exception {
        try (Heap heap = Heap.builder().zeroing(false).jmx(false).build()) {
            final AtomicLongArray table = new AtomicLongArray(ENTRIES);
            final double[] perOp = new double[2];
            final Thread[] threads = new Thread[2];
            for (int t = 0; t < threads.length; t++) {
                final int id = t;
                threads[t] = Thread.ofPlatform().start(() -> {
                    final com.sun.management.ThreadMXBean mx =
                            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                    final SplittableRandom random = new SplittableRandom(id);
                    churn(heap, table, random, WARM_UP);
                    final long before = mx.getCurrentThreadAllocatedBytes();
                    churn(heap, table, random, MEASURED);
                    perOp[id] = (mx.getCurrentThreadAllocatedBytes() - before) / (double) MEASURED;
                });
            }
            for (final Thread t : threads) {
                t.join();
            }
            for (int i = 0; i < ENTRIES; i++) {
                final long a = table.get(i);
                if (a != 0) {
                    heap.free(a);
                }
            }
            for (final double bytes : perOp) {
                // Making a span allocates its bookkeeping (a few hundred bytes, a handful of times per second here).
                assertTrue(bytes < 1.0, () -> "Java garbage per allocate + free: " + bytes + " B");
            }
        }
    }

    private static void churn(final Heap heap, final AtomicLongArray table, final SplittableRandom random,
                              final int ops) {
        for (int i = 0; i < ops; i++) {
            final long address = heap.allocate(16 + random.nextInt(1008));
            final long old = table.getAndSet(random.nextInt(ENTRIES), address);
            if (old != 0) {
                heap.free(old);
            }
        }
    }
}
