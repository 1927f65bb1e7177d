package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.HeapStats;
import dev.pagoda.alloc.PageHeap;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.SizeClassStats;
import dev.pagoda.os.OsMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The heap's whole-heap views ({@code stats()}, {@code checkInvariants()}) against threads that come and go: they
 * must never deadlock, never overflow the stack however many threads hold page caches, and never report a
 * violation while threads allocate, free, end, and have their caches retired by the reaper thread.
 *
 * <p>Every scenario runs on daemon threads and is awaited with a deadline: a deadlock fails the test with a thread
 * dump instead of hanging the build (and the deadlocked heap is left unclosed, as closing it would hang too).
 */
@EnabledOnOs(OS.LINUX)
class DeadlockFreedomTest {
    private static final long DEADLINE_SECONDS = 20;

    /**
     * Four threads call {@code stats()} and {@code checkInvariants()} while 300 new threads each do
     * {@code free(allocate(8192))}, several rounds: the page caches come and go under the checkers' feet.
     */
    @Test
    void statsAndChecksNeverDeadlockWhileThreadsComeAndGo() throws Exception {
        for (int round = 0; round < 6; round++) {
            final Heap heap = Heap.builder().jmx(false).build();
            final Scenario scenario = new Scenario(DEADLINE_SECONDS);
            final AtomicLong views = new AtomicLong();
            final CountDownLatch workersDone = new CountDownLatch(1);
            final List<Thread> checkers = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                final int which = c;
                checkers.add(scenario.daemon("checker-" + c, () -> {
                    for (long i = 0; workersDone.getCount() > 0 || i < 4; i++) {
                        if ((i + which) % 2 == 0) {
                            heap.stats();
                        } else {
                            heap.checkInvariants();
                        }
                        views.incrementAndGet();
                    }
                }));
            }
            final List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < 300; t++) {
                workers.add(scenario.daemon("worker-" + t, () -> heap.free(heap.allocate(8192))));
            }
            scenario.awaitAll(workers, "workers of round " + round);
            workersDone.countDown();
            scenario.awaitAll(checkers, "checkers of round " + round);
            scenario.assertNone();
            assertTrue(views.get() >= 16, "every checker made progress: " + views.get());
            heap.close();
        }
    }

    /**
     * Thousands of live threads, each holding a page cache, then {@code stats()} and {@code checkInvariants()} on a
     * thread whose stack is only 192 KiB: locking every cache must not take stack in proportion to the caches (with
     * one frame per cache, 3,000 caches overflowed such a stack even with the locking code compiled). The page heap
     * runs on the simulated OS: the caches' 4,000 groups of 64 pages take no real memory.
     */
    @Test
    void manyLiveCachesDoNotOverflowTheStack() throws Exception {
        final int threads = 4_000;
        final PageHeap heap = PageHeap.builder().os(OsMemory.simulated()).zeroing(false)
                .backgroundScavenger(false).build();
        final Scenario scenario = new Scenario(DEADLINE_SECONDS);
        final CountDownLatch holding = new CountDownLatch(threads);
        final CountDownLatch release = new CountDownLatch(1);
        final List<Thread> parked = new ArrayList<>(threads);
        try {
            for (int t = 0; t < threads; t++) {
                final Thread thread = new Thread(null, () -> {
                    heap.free(heap.allocate(1)); // the thread's page cache now holds a group
                    holding.countDown();
                    try {
                        release.await();
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "holder-" + t, 128 << 10);
                thread.setDaemon(true);
                thread.setUncaughtExceptionHandler(scenario::add);
                thread.start();
                parked.add(thread);
            }
            if (!holding.await(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
                fail("the holders did not start within " + DEADLINE_SECONDS + " s:\n" + Scenario.dump());
            }
            scenario.assertNone();
            final AtomicReference<PageHeapStats> stats = new AtomicReference<>();
            final Thread small = new Thread(null, () -> {
                stats.set(heap.stats());
                heap.checkInvariants();
            }, "small-stack-checker", 192 << 10);
            small.setDaemon(true);
            small.setUncaughtExceptionHandler(scenario::add);
            small.start();
            scenario.awaitAll(List.of(small), "the small-stack checker");
            scenario.assertNone();
            assertEquals(threads * 64L * heap.pageSize(), stats.get().cachedBytes(),
                    "every holder's cache holds its whole group (the freed page went back to it): " + stats.get());
        } finally {
            release.countDown();
        }
        scenario.awaitAll(parked, "the holders");
        scenario.assertNone();
        heap.close();
    }

    /**
     * Threads allocate and free page runs, small objects, runs longer than a cache serves and now and then a run
     * larger than an arena (some handed to another thread to free), while another thread checks the invariants and
     * releases free pages to the OS, so that later runs are made Ready again and the heap grows under the checker.
     * No check may fail.
     */
    @Test
    void invariantsHoldUnderLoad() throws Exception {
        for (int round = 0; round < 6; round++) {
            final Heap heap = Heap.builder().jmx(false).build();
            final Scenario scenario = new Scenario(DEADLINE_SECONDS);
            final CountDownLatch workersDone = new CountDownLatch(1);
            final AtomicLong checks = new AtomicLong();
            final Thread checker = scenario.daemon("load-checker", () -> {
                while (workersDone.getCount() > 0) {
                    heap.checkInvariants();
                    if (checks.incrementAndGet() % 4 == 0) {
                        heap.releaseToOs();
                    }
                }
            });
            final List<Thread> workers = startWorkers(heap, 8, 400, round, true, new AtomicLong(), scenario);
            scenario.awaitAll(workers, "workers of round " + round);
            workersDone.countDown();
            scenario.awaitAll(List.of(checker), "the load checker of round " + round);
            scenario.assertNone();
            assertTrue(checks.get() > 0, "the checker ran");
            heap.checkInvariants();
            heap.close();
        }
    }

    /**
     * Threads allocate and free small objects of every class and page runs, then are joined; at once and over and
     * over, while the reaper thread retires the ended threads' span caches (their spans go back to the page heap) and
     * page caches, the invariants are checked and the statistics read. No check may fail, and the per-class counters
     * must add up to exactly what the threads did at every read, live and retired caches together.
     */
    @Test
    void invariantsAndCountersHoldWhileTheReaperRetiresCaches() throws Exception {
        for (int round = 0; round < 6; round++) {
            final Heap heap = Heap.builder().jmx(false).build();
            final Scenario scenario = new Scenario(DEADLINE_SECONDS);
            final AtomicLong smallAllocs = new AtomicLong();
            scenario.awaitAll(startWorkers(heap, 64, 120, round, false, smallAllocs, scenario),
                    "workers of round " + round);
            scenario.assertNone();
            final long until = System.nanoTime() + 200_000_000L;
            while (System.nanoTime() < until) {
                heap.checkInvariants();
                final HeapStats s = heap.stats();
                long allocs = 0;
                long frees = 0;
                for (final SizeClassStats c : s.classes()) {
                    allocs += c.allocations();
                    frees += c.frees();
                }
                assertEquals(smallAllocs.get(), allocs, "small allocations counted, live and retired caches");
                assertEquals(allocs, frees, "every small object was freed");
                final PageHeapStats p = s.pages();
                assertEquals(p.arenaBytes(), p.ungrownBytes() + p.inUseBytes() + p.cachedBytes() + p.freeBytes()
                        + p.releasedBytes(), "every arena byte in one state: " + p);
            }
            heap.close();
        }
    }

    /**
     * Starts {@code threads} workers that each make {@code ops} random steps (allocate, free, hand an object to
     * another worker, free another worker's object) and free all they hold at the end; adds the small allocations
     * made to {@code smallAllocs}.
     */
    private static List<Thread> startWorkers(final Heap heap, final int threads, final int ops, final int seed,
                                             final boolean large, final AtomicLong smallAllocs,
                                             final Scenario scenario) {
        final ConcurrentLinkedQueue<Long> handoff = new ConcurrentLinkedQueue<>();
        final CountDownLatch ended = new CountDownLatch(threads);
        final List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            workers.add(scenario.daemon("worker-" + t, () -> {
                final SplittableRandom rnd = new SplittableRandom(seed * 1000L + id);
                final List<Long> mine = new ArrayList<>();
                long small = 0;
                for (int i = 0; i < ops; i++) {
                    if (mine.isEmpty() || rnd.nextInt(3) > 0) {
                        final int kind = rnd.nextInt(100);
                        final long size = kind < 60 ? 16 + rnd.nextInt(32 << 10)
                                : kind < 90 ? (1 + rnd.nextInt(15)) * 8192L
                                : kind < 99 || !large ? (16 + rnd.nextInt(64)) * 8192L : 65L << 20;
                        small += size <= 32 << 10 ? 1 : 0;
                        mine.add(heap.allocate(size));
                    } else if (rnd.nextInt(4) == 0) {
                        handoff.add(mine.remove(rnd.nextInt(mine.size())));
                    } else {
                        heap.free(mine.remove(rnd.nextInt(mine.size())));
                    }
                    final Long other = rnd.nextInt(8) == 0 ? handoff.poll() : null;
                    if (other != null) {
                        heap.free(other);
                    }
                }
                for (final long a : mine) {
                    heap.free(a);
                }
                smallAllocs.addAndGet(small);
                ended.countDown();
                try {
                    ended.await(); // the last worker frees what is left in the hand-off queue
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (Long a; (a = handoff.poll()) != null; ) {
                    heap.free(a);
                }
            }));
        }
        return workers;
    }
}
