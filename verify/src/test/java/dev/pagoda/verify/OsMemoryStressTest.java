package dev.pagoda.verify;

import dev.pagoda.os.MemState;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryStats;
import dev.pagoda.os.Simulation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several threads drive one {@link OsMemory} at once (fixed seeds, bounded work), batch releases
 * ({@link OsMemory#unused(long[], long[], int)} over every other page of a range) among the calls. On disjoint ranges
 * every thread's private model of its pages must match the layer exactly; on one shared range, where calls race,
 * every call either succeeds or is refused with {@link IllegalStateException} (never a kernel error, never a
 * crash), and afterwards the counters, the page states and the kernel's mappings still agree.
 */
class OsMemoryStressTest {
    private static final int THREADS = 4;
    private static final int PAGES_PER_THREAD = 64;
    private static final int OPS = 20_000;
    private static final long PAGE = 4096;

    @Test
    void shouldKeepEveryThreadsPagesExactOnDisjointRangesOfTheSimulatedPort() throws Exception {
        disjoint(OsMemory.simulated(Simulation.builder().build()));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void shouldKeepEveryThreadsPagesExactOnDisjointRangesOfTheLinuxPort() throws Exception {
        disjoint(OsMemory.system());
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void shouldStayConsistentWhenThreadsRaceOnTheSameRange() throws Exception {
        final OsMemory os = OsMemory.system();
        final int pages = 32;
        final long base = os.reserve(pages * PAGE);
        final AtomicLong refused = new AtomicLong();
        final AtomicLong done = new AtomicLong();
        run(THREADS, t -> {
            final SplittableRandom rnd = new SplittableRandom(1000 + t);
            for (int i = 0; i < OPS / 4; i++) {
                final int first = rnd.nextInt(pages);
                final int count = 1 + rnd.nextInt(Math.min(8, pages - first));
                try {
                    apply(os, rnd.nextInt(6), base + first * PAGE, count * PAGE);
                    done.incrementAndGet();
                } catch (final IllegalStateException e) {
                    refused.incrementAndGet();
                }
            }
            return null;
        });
        assertTrue(done.get() > 0 && refused.get() > 0, () -> done + " done, " + refused + " refused");
        // Counters, page states and the kernel agree after the race.
        final long[] bytes = new long[MemState.values().length];
        final ProcMaps maps = ProcMaps.read();
        for (int i = 0; i < pages; i++) {
            final long a = base + i * PAGE;
            final MemState s = os.stateOf(a);
            bytes[s.ordinal()] += PAGE;
            if (s == MemState.RESERVED) {
                assertTrue(maps.at(a).inaccessible(), "page " + i);
            } else if (s != MemState.NONE) {
                assertNotNull(maps.at(a), "page " + i);
                assertTrue(maps.at(a).readWrite(), "page " + i);
            }
        }
        assertEquals(new OsMemoryStats(bytes[MemState.RESERVED.ordinal()], bytes[MemState.PREPARED.ordinal()],
                bytes[MemState.READY.ordinal()]), os.stats());
        for (int i = 0; i < pages; i++) {
            if (os.stateOf(base + i * PAGE) != MemState.NONE) {
                os.free(base + i * PAGE, PAGE);
            }
        }
        assertEquals(new OsMemoryStats(0, 0, 0), os.stats());
    }

    private static void disjoint(final OsMemory os) throws Exception {
        final long base = os.reserve(THREADS * PAGES_PER_THREAD * PAGE);
        final List<MemState[]> models = run(THREADS, t -> {
            final long mine = base + (long) t * PAGES_PER_THREAD * PAGE;
            final MemState[] model = new MemState[PAGES_PER_THREAD];
            java.util.Arrays.fill(model, MemState.RESERVED);
            final SplittableRandom rnd = new SplittableRandom(42 + t);
            for (int i = 0; i < OPS; i++) {
                final int first = rnd.nextInt(PAGES_PER_THREAD);
                final int count = 1 + rnd.nextInt(Math.min(8, PAGES_PER_THREAD - first));
                final int op = rnd.nextInt(5) == 4 ? 5 : rnd.nextInt(4); // no free here: the slice stays owned
                final MemState to = expected(model, op, first, count);
                try {
                    apply(os, op, mine + first * PAGE, count * PAGE);
                    if (to == null) {
                        throw new AssertionError("op " + op + " on " + first + "+" + count + " should be refused");
                    }
                    for (int p = first; p < first + count; p += op == 5 ? 2 : 1) {
                        model[p] = to;
                    }
                } catch (final IllegalStateException e) {
                    if (to != null) {
                        throw new AssertionError("op " + op + " on " + first + "+" + count + " refused", e);
                    }
                }
            }
            return model;
        });
        final long[] bytes = new long[MemState.values().length];
        for (int t = 0; t < THREADS; t++) {
            for (int p = 0; p < PAGES_PER_THREAD; p++) {
                final MemState s = models.get(t)[p];
                assertEquals(s, os.stateOf(base + ((long) t * PAGES_PER_THREAD + p) * PAGE));
                bytes[s.ordinal()] += PAGE;
            }
        }
        assertEquals(new OsMemoryStats(bytes[MemState.RESERVED.ordinal()], bytes[MemState.PREPARED.ordinal()],
                bytes[MemState.READY.ordinal()]), os.stats());
        os.free(base, THREADS * PAGES_PER_THREAD * PAGE);
        assertEquals(new OsMemoryStats(0, 0, 0), os.stats());
    }

    /** The state op leaves the pages in per the state machine, or null if the layer must refuse it. */
    private static MemState expected(final MemState[] model, final int op, final int first, final int count) {
        boolean allReserved = true;
        boolean allReady = true;
        boolean allMapped = true;
        for (int i = first; i < first + count; i += op == 5 ? 2 : 1) {
            allReserved &= model[i] == MemState.RESERVED;
            allReady &= model[i] == MemState.READY;
            allMapped &= model[i] == MemState.PREPARED || model[i] == MemState.READY;
        }
        return switch (op) {
            case 0 -> allReserved ? MemState.PREPARED : null;  // map
            case 1 -> allMapped ? MemState.READY : null;       // used
            case 2 -> allReady ? MemState.PREPARED : null;     // unused
            case 3 -> allMapped ? MemState.RESERVED : null;    // fault
            case 5 -> allReady ? MemState.PREPARED : null;     // unused, every other page, in one batch
            default -> throw new AssertionError(op);
        };
    }

    private static void apply(final OsMemory os, final int op, final long address, final long bytes) {
        switch (op) {
            case 0 -> os.map(address, bytes);
            case 1 -> os.used(address, bytes);
            case 2 -> os.unused(address, bytes);
            case 3 -> os.fault(address, bytes);
            case 4 -> os.free(address, bytes);
            case 5 -> {
                final int ranges = (int) ((bytes / PAGE + 1) / 2);
                final long[] addresses = new long[ranges];
                final long[] lengths = new long[ranges];
                for (int i = 0; i < ranges; i++) {
                    addresses[i] = address + 2L * i * PAGE;
                    lengths[i] = PAGE;
                }
                os.unused(addresses, lengths, ranges);
            }
            default -> throw new AssertionError(op);
        }
    }

    private interface Worker<T> {
        T run(int thread) throws Exception;
    }

    private static <T> List<T> run(final int threads, final Worker<T> worker) throws Exception {
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            final List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int id = t;
                final Callable<T> task = () -> worker.run(id);
                futures.add(pool.submit(task));
            }
            final List<T> out = new ArrayList<>();
            for (final Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
