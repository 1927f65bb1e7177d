package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.SizeClassStats;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default API finds a platform thread's cache in a table indexed by thread id before it asks the thread slot:
 * far more threads than the table has entries, two at a time so that ids a table length apart share an entry while
 * both run, each allocating, freeing its own objects and leaving others to be freed by another thread after it
 * ended. No object is handed out twice, and the books balance to zero.
 */
class ThreadCacheTableTest {
    private static final int THREADS = 700;
    private static final int OBJECTS = 64;

    @Test
    void threadsWhoseIdsShareAnEntryNeverShareACache() throws Exception {
        try (Heap heap = Heap.builder().jmx(false).zeroing(false).backgroundScavenger(false).build()) {
            final ConcurrentLinkedQueue<Long> leftOver = new ConcurrentLinkedQueue<>();
            final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            for (int i = 0; i < THREADS; i += 2) {
                final List<Thread> pair = new ArrayList<>(2);
                for (int k = 0; k < 2; k++) {
                    pair.add(Thread.ofPlatform().start(() -> {
                        try {
                            final long tag = Thread.currentThread().threadId();
                            final long[] mine = new long[OBJECTS];
                            for (int j = 0; j < OBJECTS; j++) {
                                mine[j] = heap.allocate(16 + 16 * (j % 8));
                                BlockPattern.stamp(mine[j], 16, tag);
                            }
                            Thread.yield();
                            for (int j = 0; j < OBJECTS; j++) {
                                assertEquals(-1, BlockPattern.firstDamage(mine[j], 16, tag), "an object was shared");
                                if (j % 2 == 0) {
                                    heap.free(mine[j]);
                                } else {
                                    leftOver.add(mine[j]);
                                }
                            }
                        } catch (final Throwable t) {
                            failures.add(t);
                        }
                    }));
                }
                for (final Thread t : pair) {
                    t.join();
                }
            }
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
            for (final long a : leftOver) {
                heap.free(a);
            }
            long live = 0;
            for (final SizeClassStats c : heap.stats().classes()) {
                live += c.liveObjects();
            }
            assertEquals(0, live);
            heap.checkInvariants();
        }
    }
}
