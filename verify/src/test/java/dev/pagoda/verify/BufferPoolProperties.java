package dev.pagoda.verify;

import dev.pagoda.os.Operation;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryException;
import dev.pagoda.os.Simulation;
import dev.pagoda.pool.BufferPool;
import dev.pagoda.pool.BufferPoolStats;
import dev.pagoda.pool.PageReader;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.ActionChainArbitrary;
import net.jqwik.api.state.Transformer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link BufferPool} against a model, a list of page images indexed by page id, with jqwik's stateful testing:
 * random chains of allocate / write (under an exclusive fix, marked dirty) / read (exclusive, shared, optimistic) /
 * memory pressure (touching many pages through a budget of eight frames, so the clock evicts) / flush (the file,
 * read behind the pool's back, must then equal the model) / close and reopen. Every read compares the whole page with
 * the model; after a flush or a reopen every page is compared. On a simulated OS the chains also inject failures into
 * the transitions the pool makes ({@code used}, {@code unused}, {@code map}, {@code free}): the call that meets one
 * throws {@link OsMemoryException}, changes nothing the model can see, and the contents stay equal to the model.
 */
class BufferPoolProperties {
    private static final int PAGE = 4096;
    private static final int BUDGET = 8;

    /** Every harness a try opened, closed after the try whatever happened. */
    private final List<Harness> opened = new ArrayList<>();

    /** The pool, its file and OS layer, and the model of its pages. */
    static final class Harness {
        final Path dir;
        final Path file;
        final Simulation kernel;
        final OsMemory os;
        final List<byte[]> model = new ArrayList<>();
        BufferPool pool;
        int failuresFired;
        int reopened;

        Harness(final boolean simulated) {
            try {
                this.dir = Files.createTempDirectory("pool-properties");
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
            this.file = dir.resolve("pages");
            this.kernel = simulated ? Simulation.builder().build() : null;
            this.os = simulated ? OsMemory.simulated(kernel) : OsMemory.system();
            this.pool = open();
        }

        BufferPool open() {
            return BufferPool.builder().file(file).os(os).pageSize(PAGE).maxPages(1024).memoryBudget(BUDGET * PAGE)
                    .waitLimit(Duration.ofSeconds(5)).jmx(false).build();
        }

        int pages() {
            return model.size();
        }

        void dispose() {
            try {
                pool.close();
            } catch (final RuntimeException ignored) {
                // the try has failed already, or an injected failure fired in close: the file is released anyway
            }
            try {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return (kernel != null ? "simulated" : "system") + " pool of " + model.size() + " pages";
        }
    }

    @Property(tries = 150)
    void contentsAlwaysEqualTheModel(@ForAll("chains") final ActionChain<Harness> chain) {
        final Harness h = chain.withInvariant("budget and counts", BufferPoolProperties::checkCounts).run();
        Statistics.label("evicted").collect(h.pool.isClosed() || h.pool.stats().evictions() > 0);
        Statistics.label("reopened").collect(h.reopened > 0);
        Statistics.label("evicted").coverage(c -> c.check(true).percentage(p -> p > 20));
        Statistics.label("reopened").coverage(c -> c.check(true).percentage(p -> p > 20));
    }

    @Property(tries = 150)
    void injectedOsFailuresLeaveThePoolConsistent(@ForAll("faultyChains") final ActionChain<Harness> chain) {
        final Harness h = chain.withInvariant("budget and counts", BufferPoolProperties::checkCounts).run();
        h.kernel.clearFailures();
        checkEveryPage(h);
        Statistics.label("failures met").collect(h.failuresFired > 0);
        Statistics.label("failures met").coverage(c -> c.check(true).percentage(p -> p > 20));
    }

    @AfterTry
    void disposeHarnesses() {
        for (final Harness h : opened) {
            h.dispose();
        }
        opened.clear();
    }

    @Provide
    Arbitrary<ActionChain<Harness>> chains() {
        return withCommonActions(ActionChain.startWith(() -> track(new Harness(false)))).withMaxTransformations(60);
    }

    @Provide
    Arbitrary<ActionChain<Harness>> faultyChains() {
        return withCommonActions(ActionChain.startWith(() -> track(new Harness(true))))
                .withAction(2, new InjectFailure()).withMaxTransformations(60);
    }

    private Harness track(final Harness h) {
        opened.add(h);
        return h;
    }

    private static ActionChainArbitrary<Harness> withCommonActions(final ActionChainArbitrary<Harness> chain) {
        return chain.withAction(3, new Allocate()).withAction(6, new Write()).withAction(4, new Read())
                .withAction(2, new Pressure()).withAction(1, new Flush()).withAction(1, new Reopen());
    }

    // -------------------------------------------------------------------------------------------------------------
    // Actions. Each runs its operation, and if the OS layer refused (only on a simulated OS with a failure planned),
    // checks that the model did not change; the invariant and the next reads do the rest.

    /** Appends a page; the model appends zeros. */
    static final class Allocate implements Action.Independent<Harness> {
        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Arbitraries.just(Transformer.mutate("allocate", h -> {
                if (!attempt(h, () -> assertEquals(h.model.size(), h.pool.allocatePage()))) {
                    assertEquals(h.model.size(), h.pool.pageCount(), "a failed allocation allocates nothing");
                    return;
                }
                h.model.add(new byte[PAGE]);
            }));
        }
    }

    /** Writes random bytes into a page under an exclusive fix and marks it dirty; the model takes the same bytes. */
    static final class Write implements Action.Independent<Harness> {
        @Override
        public boolean precondition(final Harness h) {
            return h.pages() > 0;
        }

        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Combinators.combine(Arbitraries.integers().between(0, 1 << 20),
                    Arbitraries.integers().between(0, PAGE - 1), Arbitraries.integers().between(1, PAGE),
                    Arbitraries.longs()).as((pick, from, length, seed) -> Transformer.mutate(
                    "write " + length + " bytes at " + from + " of page #" + pick + " (seed " + seed + ")", h -> {
                        final int pid = pick % h.pages();
                        final int n = Math.min(length, PAGE - from);
                        final byte[] bytes = new byte[n];
                        new SplittableRandom(seed).nextBytes(bytes);
                        if (attempt(h, () -> {
                            final long off = h.pool.fixExclusive(pid);
                            final MemorySegment page = h.pool.frames().asSlice(off, PAGE);
                            assertArrayEquals(h.model.get(pid), page.toArray(ValueLayout.JAVA_BYTE),
                                    "page " + pid + " before the write");
                            MemorySegment.copy(bytes, 0, page, ValueLayout.JAVA_BYTE, from, n);
                            h.pool.markDirty(pid);
                            h.pool.unfixExclusive(pid);
                        })) {
                            System.arraycopy(bytes, 0, h.model.get(pid), from, n);
                        }
                    }));
        }
    }

    /** Reads a page under an exclusive fix, a shared fix, or optimistically, and compares it with the model. */
    static final class Read implements Action.Independent<Harness> {
        @Override
        public boolean precondition(final Harness h) {
            return h.pages() > 0;
        }

        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Combinators.combine(Arbitraries.integers().between(0, 1 << 20), Arbitraries.integers().between(0, 2))
                    .as((pick, how) -> Transformer.mutate(
                            List.of("exclusive", "shared", "optimistic").get(how) + " read of page #" + pick, h -> {
                                final int pid = pick % h.pages();
                                attempt(h, () -> readAndCompare(h, pid, how));
                            }));
        }
    }

    /** Touches many pages with shared fixes, more than the budget holds, so the clock evicts. */
    static final class Pressure implements Action.Independent<Harness> {
        @Override
        public boolean precondition(final Harness h) {
            return h.pages() > 0;
        }

        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Combinators.combine(Arbitraries.integers().between(BUDGET, 4 * BUDGET), Arbitraries.longs())
                    .as((touches, seed) -> Transformer.mutate("pressure: " + touches + " touches (seed " + seed + ")",
                            h -> {
                                final SplittableRandom random = new SplittableRandom(seed);
                                for (int i = 0; i < touches; i++) {
                                    final int pid = random.nextInt(h.pages());
                                    attempt(h, () -> readAndCompare(h, pid, 1));
                                }
                            }));
        }
    }

    /** Flushes; then the file, read behind the pool's back, equals the model page for page. */
    static final class Flush implements Action.Independent<Harness> {
        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Arbitraries.just(Transformer.mutate("flush", h -> {
                if (attempt(h, h.pool::flush)) {
                    assertEquals(0, h.pool.stats().dirtyPages(), "flush leaves nothing dirty");
                    assertFileEqualsModel(h);
                }
            }));
        }
    }

    /** Closes the pool and opens it again on the same file: every page reads as the model says. */
    static final class Reopen implements Action.Independent<Harness> {
        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Arbitraries.just(Transformer.mutate("close and reopen", h -> {
                try {
                    h.pool.close();
                } catch (final OsMemoryException e) {
                    h.failuresFired++; // an injected free: the pool is closed all the same, its pages written
                }
                assertTrue(h.pool.isClosed());
                assertFileEqualsModel(h);
                while (true) {
                    try {
                        h.pool = h.open();
                        break;
                    } catch (final OsMemoryException e) {
                        h.failuresFired++; // an injected failure while mapping the new pool: nothing was opened
                    }
                }
                h.reopened++;
                assertEquals(h.pages(), h.pool.pageCount());
                checkEveryPage(h);
            }));
        }
    }

    /** Plans a failure of one of the pool's transitions, a few calls ahead, on the simulated OS. */
    static final class InjectFailure implements Action.Independent<Harness> {
        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Combinators.combine(
                    Arbitraries.of(Operation.USED, Operation.UNUSED, Operation.MAP, Operation.FREE),
                    Arbitraries.integers().between(1, 4), Arbitraries.of(12, 22))
                    .as((op, nth, errno) -> Transformer.mutate("fail the " + nth + ". next " + op + " with errno "
                            + errno, h -> h.kernel.failNth(op, nth, errno)));
        }
    }

    // -------------------------------------------------------------------------------------------------------------

    /** Runs {@code call}; an OS failure (injected) counts and returns false, anything else propagates. */
    private static boolean attempt(final Harness h, final Runnable call) {
        try {
            call.run();
            return true;
        } catch (final OsMemoryException e) {
            if (h.kernel == null) {
                throw e;
            }
            h.failuresFired++;
            return false;
        }
    }

    private static void readAndCompare(final Harness h, final int pid, final int how) {
        final byte[] expected = h.model.get(pid);
        switch (how) {
            case 0 -> {
                final long off = h.pool.fixExclusive(pid);
                try {
                    assertArrayEquals(expected, h.pool.frames().asSlice(off, PAGE).toArray(ValueLayout.JAVA_BYTE),
                            "page " + pid + " under an exclusive fix");
                } finally {
                    h.pool.unfixExclusive(pid);
                }
            }
            case 1 -> {
                final long off = h.pool.fixShared(pid);
                try {
                    assertArrayEquals(expected, h.pool.frames().asSlice(off, PAGE).toArray(ValueLayout.JAVA_BYTE),
                            "page " + pid + " under a shared fix");
                } finally {
                    h.pool.unfixShared(pid);
                }
            }
            default -> assertEquals(checksum(MemorySegment.ofArray(expected), 0), h.pool.readOptimistic(pid, CHECKSUM),
                    "page " + pid + " read optimistically");
        }
    }

    /** A reader that allocates nothing: FNV-1a over the page's longs. */
    private static final PageReader CHECKSUM = BufferPoolProperties::checksum;

    private static long checksum(final MemorySegment frames, final long offset) {
        long h = 0xcbf29ce484222325L;
        for (long i = 0; i < PAGE; i += Long.BYTES) {
            h = (h ^ frames.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + i)) * 0x100000001b3L;
        }
        return h;
    }

    private static void checkEveryPage(final Harness h) {
        for (int pid = 0; pid < h.pages(); pid++) {
            final int p = pid;
            while (!attempt(h, () -> readAndCompare(h, p, 1))) {
                // an injected failure met the load: the page stays as it was; the next attempt goes through
            }
        }
    }

    private static void assertFileEqualsModel(final Harness h) {
        try (FileChannel ch = FileChannel.open(h.file, StandardOpenOption.READ)) {
            assertEquals((long) h.pages() * PAGE, ch.size(), "the file holds every page");
            final ByteBuffer page = ByteBuffer.allocate(PAGE);
            for (int pid = 0; pid < h.pages(); pid++) {
                page.clear();
                while (page.hasRemaining()) {
                    ch.read(page, (long) pid * PAGE + page.position());
                }
                assertTrue(Arrays.equals(h.model.get(pid), page.array()), "page " + pid + " of the file");
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void checkCounts(final Harness h) {
        if (h.pool.isClosed()) {
            return;
        }
        final BufferPoolStats s = h.pool.stats();
        assertTrue(s.residentPages() <= BUDGET, () -> "resident above the budget: " + s);
        assertTrue(s.dirtyPages() <= s.residentPages(), () -> "only resident pages are dirty: " + s);
        assertEquals(h.pages(), s.pageCount());
        if (h.kernel != null) {
            // Ready: the page table and at least every resident frame (a frame whose release failed after a failed
            // load stays Ready until its page is loaded again).
            assertTrue(h.os.stats().readyBytes() >= s.residentPages() * PAGE, () -> h.os + " " + s);
        }
    }
}
