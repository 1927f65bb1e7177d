package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.PagodaOutOfMemoryError;
import dev.pagoda.alloc.ReclaimStats;
import dev.pagoda.alloc.Reclaimer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Eviction before failure against the real kernel, from several threads: an off-heap cache that fills a heap with a
 * memory limit runs on and never fails while Ready and resident memory stay within the limit; reclaimers that throw,
 * allocate or free nothing; platform and virtual threads under pressure at once (no deadlock, one round at a time, a
 * bounded number of calls); and {@code close()} racing the reclaimers.
 */
@EnabledOnOs(OS.LINUX)
class ReclaimerStressTest {
    private static final long MIB = 1L << 20;
    private static final long DEADLINE_SECONDS = 60;
    /** What threads allocating at once may overshoot the limit by, each: one request or one page-cache group. */
    private static final long OVERSHOOT_PER_THREAD = MIB;

    /**
     * An off-heap cache over a {@link Heap}: values are blocks of the heap, stamped with their key; eviction takes
     * the oldest entries out of the map (so exactly one thread frees each), checks their stamp and frees them
     * through the heap. It counts its calls and how many run at once.
     */
    private static final class OffHeapCache implements Reclaimer {
        final Heap heap;
        final boolean stamp;
        final ConcurrentHashMap<Long, long[]> entries = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Long> order = new ConcurrentLinkedQueue<>();
        final AtomicLong liveBytes = new AtomicLong();
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger mostInside = new AtomicInteger();
        final AtomicLong calls = new AtomicLong();
        final AtomicReference<String> damage = new AtomicReference<>();

        OffHeapCache(final Heap heap, final boolean stamp) {
            this.heap = heap;
            this.stamp = stamp;
        }

        /** Allocates the value with none of the cache's state locked (the reclaimer may evict anything), then adds it. */
        void put(final long key, final long size) {
            final long a = heap.allocate(size);
            if (stamp) {
                BlockPattern.stamp(a, Math.max(8, size), key);
            }
            liveBytes.addAndGet(heap.usableSize(a));
            entries.put(key, new long[] {a, size});
            order.add(key);
        }

        /** Evicts the oldest entries until {@code wanted} bytes are freed or none is left. */
        long evict(final long wanted) {
            long freed = 0;
            for (Long key; freed < wanted && (key = order.poll()) != null; ) {
                final long[] e = entries.remove(key);
                if (e == null) {
                    continue;
                }
                if (stamp && BlockPattern.firstDamage(e[0], Math.max(8, e[1]), key) >= 0) {
                    damage.compareAndSet(null, "entry " + key + " at 0x" + Long.toHexString(e[0]) + " damaged");
                }
                final long usable = heap.usableSize(e[0]);
                heap.free(e[0]);
                liveBytes.addAndGet(-usable);
                freed += usable;
            }
            return freed;
        }

        @Override
        public long reclaim(final long bytesWanted) {
            calls.incrementAndGet();
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            try {
                return evict(bytesWanted);
            } finally {
                inside.decrementAndGet();
            }
        }

        /** Evicts everything, then checks that no evicted value was damaged and that the heap is sound. */
        void drainAndCheck() {
            evict(Long.MAX_VALUE);
            assertEquals(null, damage.get(), "every evicted value was intact");
            heap.checkInvariants();
        }
    }

    /** Long-tailed value sizes: most small, some of a few KiB, a few page runs up to 512 KiB. */
    private static long size(final SplittableRandom random) {
        final int kind = random.nextInt(100);
        return kind < 70 ? 16 + random.nextInt(1024) : kind < 95 ? 1024 + random.nextInt(31 << 10)
                : (32 << 10) + random.nextInt(480 << 10);
    }

    @Test
    void aCacheFillingALimitedHeapKeepsRunningNeverFailsAndStaysWithinTheLimit() throws Exception {
        final long limit = 64 * MIB;
        final int threads = 2;
        try (Heap heap = Heap.builder().memoryLimit(limit).jmx(false).build()) {
            final OffHeapCache cache = new OffHeapCache(heap, true);
            heap.onMemoryPressure(cache);
            final Scenario scenario = new Scenario(DEADLINE_SECONDS);
            final AtomicBoolean running = new AtomicBoolean(true);
            final AtomicLong mostReady = new AtomicLong();
            final AtomicLong mostResident = new AtomicLong();
            final AtomicLong keys = new AtomicLong();
            final Thread sampler = scenario.daemon("sampler", () -> {
                for (int i = 0; running.get(); i++) {
                    mostReady.accumulateAndGet(heap.pageHeap().os().stats().readyBytes(), Math::max);
                    if (i % 10 == 0) {
                        mostResident.accumulateAndGet(heap.residency().residentBytes(), Math::max);
                    }
                    LockSupport.parkNanos(2_000_000);
                }
            });
            final List<Thread> putters = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int id = t;
                putters.add(scenario.daemon("putter-" + t, () -> {
                    final SplittableRandom random = new SplittableRandom(1000 + id);
                    for (long bytes = 0; bytes < 256 * MIB; ) {
                        final long size = size(random);
                        cache.put(keys.incrementAndGet(), size);
                        bytes += size;
                    }
                }));
            }
            scenario.awaitAll(putters, "the putters");
            running.set(false);
            scenario.awaitAll(List.of(sampler), "the sampler");
            scenario.assertNone();
            assertEquals(null, cache.damage.get(), "every evicted value was intact");
            final ReclaimStats s = heap.stats().reclaims();
            assertEquals(0, s.allocationsFailed(), s::toString);
            assertTrue(s.rounds() > 0 && s.bytesReclaimed() > 256 * MIB, () -> "the cache evicted: " + s);
            assertEquals(1, cache.mostInside.get(), "never two rounds at once");
            final long allowed = limit + threads * OVERSHOOT_PER_THREAD;
            assertTrue(mostReady.get() <= allowed, () -> "Ready peaked at " + mostReady.get() / MIB + " MiB");
            assertTrue(mostResident.get() <= allowed, () -> "resident peaked at " + mostResident.get() / MIB + " MiB");
            assertTrue(cache.liveBytes.get() >= limit / 4, () -> "the cache still holds "
                    + cache.liveBytes.get() / MIB + " MiB: eviction took about what was needed, not everything");
            System.out.printf("cache through a %d MiB limit: 512 MiB put, %d rounds, %d MiB evicted, Ready peak %d "
                            + "MiB, resident peak %d MiB, %d MiB cached at the end%n", limit / MIB, s.rounds(),
                    s.bytesReclaimed() / MIB, mostReady.get() / MIB, mostResident.get() / MIB,
                    cache.liveBytes.get() / MIB);
            cache.drainAndCheck();
        }
    }

    @Test
    void aReclaimerThatThrowsIsPassedOverAndTravelsWithTheFailure() {
        try (Heap heap = Heap.builder().memoryLimit(16 * MIB).jmx(false).build()) {
            final IllegalStateException boom = new IllegalStateException("injected: a broken reclaimer");
            final AtomicLong thrown = new AtomicLong();
            heap.onMemoryPressure(wanted -> {
                thrown.incrementAndGet();
                throw boom;
            });
            final OffHeapCache cache = new OffHeapCache(heap, true);
            final Reclaimer.Registration registration = heap.onMemoryPressure(cache);
            final SplittableRandom random = new SplittableRandom(5);
            for (int i = 0; i < 20_000; i++) {
                cache.put(i, size(random));
            }
            assertTrue(thrown.get() > 0, "the broken reclaimer was asked");
            assertEquals(thrown.get(), heap.stats().reclaims().reclaimerFailures());
            assertEquals(0, heap.stats().reclaims().allocationsFailed(), "the working one made room every time");
            registration.close();
            final List<Long> held = new ArrayList<>();
            final PagodaOutOfMemoryError e = assertThrows(PagodaOutOfMemoryError.class, () -> {
                while (true) {
                    held.add(heap.allocate(64 << 10));
                }
            });
            assertSame(boom, e.getSuppressed()[0], "the broken reclaimer's exception travels with the failure");
            held.forEach(heap::free);
            cache.drainAndCheck();
        }
    }

    @Test
    void aReclaimerThatAllocatesNeverRecursesAndTheCacheRunsOn() {
        try (Heap heap = Heap.builder().memoryLimit(16 * MIB).jmx(false).build()) {
            final OffHeapCache cache = new OffHeapCache(heap, true);
            final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);
            final AtomicInteger deepest = new AtomicInteger();
            final ConcurrentLinkedQueue<Long> log = new ConcurrentLinkedQueue<>();
            final AtomicLong refused = new AtomicLong();
            heap.onMemoryPressure(wanted -> {
                final int[] d = depth.get();
                deepest.accumulateAndGet(++d[0], Math::max);
                try {
                    // An eviction log in the same heap: allocating here is allowed, and at the limit fails at once.
                    try {
                        log.add(heap.allocate(4096));
                    } catch (final PagodaOutOfMemoryError e) {
                        refused.incrementAndGet();
                    }
                    return cache.evict(wanted);
                } finally {
                    d[0]--;
                }
            });
            final SplittableRandom random = new SplittableRandom(6);
            for (int i = 0; i < 20_000; i++) {
                cache.put(i, size(random));
                if (log.size() > 64) {
                    heap.free(log.poll());
                }
            }
            assertEquals(1, deepest.get(), "the reclaimer's allocation never called a reclaimer");
            assertEquals(0, heap.stats().reclaims().allocationsFailed());
            System.out.printf("allocating reclaimer: %d rounds, %d of its allocations refused at the limit%n",
                    heap.stats().reclaims().rounds(), refused.get());
            log.forEach(heap::free);
            cache.drainAndCheck();
        }
    }

    @Test
    void aReclaimerThatFreesNothingEndsInPagodaOutOfMemoryError() {
        try (Heap heap = Heap.builder().memoryLimit(8 * MIB).jmx(false).build()) {
            final AtomicLong calls = new AtomicLong();
            heap.onMemoryPressure(wanted -> {
                calls.incrementAndGet();
                return 0;
            });
            final List<Long> held = new ArrayList<>();
            final PagodaOutOfMemoryError e = assertThrows(PagodaOutOfMemoryError.class, () -> {
                while (true) {
                    held.add(heap.allocate(1000));
                }
            });
            assertEquals(1, calls.get(), "one round, which freed nothing");
            assertTrue(e.getMessage().contains("memory limit"), e.getMessage());
            assertEquals(1, heap.stats().reclaims().allocationsFailed());
            assertTrue(heap.pageHeap().os().stats().readyBytes() <= 8 * MIB);
            held.forEach(heap::free);
            heap.checkInvariants();
        }
    }

    @Test
    void platformAndVirtualThreadsUnderPressureNeitherDeadlockNorEvictAtOnce() throws Exception {
        final long limit = 32 * MIB;
        try (Heap heap = Heap.builder().memoryLimit(limit).jmx(false).build()) {
            final OffHeapCache cache = new OffHeapCache(heap, true);
            heap.onMemoryPressure(cache);
            final Scenario scenario = new Scenario(DEADLINE_SECONDS);
            final AtomicLong keys = new AtomicLong();
            final List<Thread> threads = new ArrayList<>();
            final CountDownLatch start = new CountDownLatch(1);
            for (int t = 0; t < 12; t++) {
                final int id = t;
                final Runnable body = () -> {
                    try {
                        start.await();
                    } catch (final InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    final SplittableRandom random = new SplittableRandom(2000 + id);
                    for (int i = 0; i < 3_000; i++) {
                        cache.put(keys.incrementAndGet(), size(random));
                    }
                };
                if (t < 8) {
                    threads.add(scenario.daemon("platform-" + t, body));
                } else {
                    final Thread v = Thread.ofVirtual().name("virtual-" + t).unstarted(body);
                    v.setUncaughtExceptionHandler(scenario::add);
                    v.start();
                    threads.add(v);
                }
            }
            start.countDown();
            scenario.awaitAll(threads, "threads under pressure");
            scenario.assertNone();
            final ReclaimStats s = heap.stats().reclaims();
            assertEquals(1, cache.mostInside.get(), "a reclaimer is never called by two threads at once");
            assertEquals(cache.calls.get(), s.reclaimerCalls());
            assertEquals(s.rounds(), s.reclaimerCalls(), "one reclaimer: one call a round");
            assertEquals(0, s.allocationsFailed(), s::toString);
            assertTrue(s.rounds() <= 16 * (s.allocationsRescued() + s.allocationsFailed()), s::toString);
            assertTrue(heap.pageHeap().os().stats().readyBytes() <= limit + 12 * OVERSHOOT_PER_THREAD);
            System.out.printf("12 threads at a %d MiB limit: %s%n", limit / MIB, s);
            cache.drainAndCheck();
        }
    }

    @Test
    void closeRacingReclaimersEndsEveryThreadWithoutHangingOrCrashing() throws Exception {
        for (int round = 0; round < 4; round++) {
            final Heap heap = Heap.builder().memoryLimit(16 * MIB).jmx(false).build();
            final OffHeapCache cache = new OffHeapCache(heap, false); // no raw access: the heap closes under it
            heap.onMemoryPressure(wanted -> {
                LockSupport.parkNanos(1_000_000); // a slow reclaimer, so that close() meets rounds in flight
                return cache.reclaim(wanted);
            });
            final Scenario scenario = new Scenario(DEADLINE_SECONDS);
            final AtomicLong keys = new AtomicLong();
            final AtomicLong closedSeen = new AtomicLong();
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                final int id = t;
                threads.add(scenario.daemon("racer-" + t, () -> {
                    final SplittableRandom random = new SplittableRandom(3000 + id);
                    try {
                        while (true) {
                            cache.put(keys.incrementAndGet(), size(random));
                        }
                    } catch (final IllegalStateException closed) {
                        closedSeen.incrementAndGet(); // the heap closed: every call after it says so
                    }
                }));
            }
            while (heap.stats().reclaims().rounds() < 20) {
                LockSupport.parkNanos(1_000_000);
                if (threads.stream().noneMatch(Thread::isAlive)) {
                    scenario.assertNone();
                    fail("the racers ended before the heap was closed");
                }
            }
            heap.close();
            scenario.awaitAll(threads, "racers of round " + round);
            scenario.assertNone();
            assertEquals(6, closedSeen.get(), "every racer ended with IllegalStateException");
            assertEquals(0, heap.pageHeap().os().stats().ownedBytes(), "the closed heap gave every byte back");
        }
    }
}
