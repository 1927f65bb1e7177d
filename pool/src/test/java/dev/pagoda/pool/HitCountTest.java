package dev.pagoda.pool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Hits are counted per thread without atomics; the count is still exact: across threads that run side by side and
 * share the counter's table entries (more threads than entries), across threads that have ended, and across twenty
 * thousand short-lived virtual threads.
 */
class HitCountTest {
    private static final long PAGE = 4096;
    private static final int FIXES = 5_000;

    @TempDir
    Path dir;

    @Test
    void shouldCountEveryHitOfEveryThreadExactly() throws Exception {
        try (BufferPool pool = BufferPool.builder().file(dir.resolve("h")).pageSize(PAGE).maxPages(16)
                .memoryBudget(16 * PAGE).jmx(false).build()) {
            for (int i = 0; i < 16; i++) {
                pool.allocatePage();
                pool.fixShared(i);
                pool.unfixShared(i);
            }
            final long missesBefore = pool.stats().misses();
            final long hitsBefore = pool.stats().hits();
            long expected = 0;
            for (int wave = 0; wave < 5; wave++) {
                final int count = 40 + wave * 20; // 40 to 120 threads at once: more than the table's 64 entries
                final CountDownLatch start = new CountDownLatch(1);
                final List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < count; t++) {
                    final int id = t;
                    threads.add(Thread.ofPlatform().start(() -> {
                        try {
                            start.await();
                        } catch (final InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                        for (int i = 0; i < FIXES; i++) {
                            final long pid = (id + i) & 15;
                            pool.fixShared(pid);
                            pool.unfixShared(pid);
                        }
                    }));
                }
                start.countDown();
                for (final Thread t : threads) {
                    t.join();
                }
                expected += (long) count * FIXES;
                assertEquals(expected, pool.stats().hits() - hitsBefore, "hits after wave " + wave);
            }
            // Many short-lived virtual threads: every one's hits count, and the ended ones are folded as they go.
            final List<Thread> virtual = new ArrayList<>();
            for (int t = 0; t < 20_000; t++) {
                final long pid = t & 15;
                virtual.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < 10; i++) {
                        pool.fixShared(pid);
                        pool.unfixShared(pid);
                    }
                }));
            }
            for (final Thread t : virtual) {
                t.join();
            }
            expected += 20_000L * 10;
            assertEquals(expected, pool.stats().hits() - hitsBefore, "hits after the virtual threads");
            // A thread that is still alive counts too, and so does this one.
            for (int i = 0; i < 100; i++) {
                pool.fixExclusive(3);
                pool.unfixExclusive(3);
            }
            assertEquals(expected + 100, pool.stats().hits() - hitsBefore);
            assertEquals(missesBefore, pool.stats().misses(), "every page stayed resident");
        }
    }
}
