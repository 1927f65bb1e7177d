package dev.pagoda.verify;

import dev.pagoda.alloc.small.SizeClasses;
import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.HeapStats;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Two to four threads run generated scripts of allocate (1 B to 256 KiB, sometimes with a power-of-two
 * alignment) / free / hand a block to another thread, which frees it there / reallocate against one shared,
 * zeroing {@link Heap} on the system OS, and a shared model of the live blocks checks, while they run, that
 * every new block is zeroed, aligned, of the documented usable size and disjoint from every other live block,
 * and that every block keeps the pattern its owner stamped ({@link BlockPattern}, derived from thread and block
 * id) until it is freed. When all scripts are done the threads wait, so that the per-thread counters are quiet,
 * and the checks over the whole heap run: the live blocks are pairwise disjoint, the heap's live objects per size
 * class and page-run bytes equal the model's, the page heap's invariants hold; then everything is freed (from the
 * checking thread, so every free is a remote one) and every count must be zero.
 *
 * <p>A failing try is reported with jqwik's seed; thread interleavings are not reproducible, but the scripts are.
 */
class HeapConcurrentProperties {
    /** Small arenas: each try's heap maps little, and growth past one arena is exercised. */
    private static final long ARENA = 4L << 20;
    /** How long the threads may take for a script before the try counts as hung. */
    private static final long WAIT_SECONDS = 60;

    sealed interface Action permits Alloc, Free, HandOff, Realloc {
    }

    /** Allocates {@code size} bytes; {@code alignment} 1 means the plain {@code allocate(size)}. */
    record Alloc(long size, long alignment) implements Action {
    }

    /** Frees one of this thread's blocks. */
    record Free(int pick) implements Action {
    }

    /** Hands one of this thread's blocks to another thread, which checks and frees it. */
    record HandOff(int pick, int to) implements Action {
    }

    /** Reallocates one of this thread's blocks to {@code newSize} bytes. */
    record Realloc(int pick, long newSize) implements Action {
    }

    /**
     * A live block in the model.
     *
     * @param sizeClass the size class the request must land in, or -1 for a run of whole pages
     */
    record Block(long address, long size, long alignment, long usable, int sizeClass, long tag) {
        long end() {
            return address + usable;
        }

        @Override
        public String toString() {
            return "block t" + ((tag >>> 32) - 1) + "#" + (int) tag + " at 0x" + Long.toHexString(address)
                    + " (asked " + size + " B, alignment " + alignment + ", usable " + usable + " B, "
                    + (sizeClass < 0 ? "page run" : "class of " + SizeClasses.size(sizeClass) + " B") + ")";
        }
    }

    @Provide
    Arbitrary<List<List<Action>>> scripts() {
        final Arbitrary<Long> size = Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.longs().between(1, 1024)),
                Tuple.of(3, Arbitraries.longs().between(1025, SizeClasses.MAX_SIZE)),
                Tuple.of(1, Arbitraries.longs().between(SizeClasses.MAX_SIZE + 1, 256 << 10)));
        final Arbitrary<Long> alignment = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(1L)),
                Tuple.of(2, Arbitraries.integers().between(1, 13).map(b -> 1L << b)),
                Tuple.of(1, Arbitraries.integers().between(14, 16).map(b -> 1L << b)));
        final Arbitrary<Integer> pick = Arbitraries.integers().between(0, 10_000);
        final Arbitrary<Action> action = Arbitraries.frequencyOf(
                Tuple.of(8, Combinators.combine(size, alignment).as(Alloc::new)),
                Tuple.of(4, pick.map(Free::new)),
                Tuple.of(3, Combinators.combine(pick, pick).as(HandOff::new)),
                Tuple.of(2, Combinators.combine(pick, size).as(Realloc::new)));
        return action.list().ofMinSize(5).ofMaxSize(100).list().ofMinSize(2).ofMaxSize(4);
    }

    @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
    void threadsSharingOneHeapKeepBlocksZeroedDisjointIntactAndCounted(
            @ForAll("scripts") final List<List<Action>> scripts) throws Exception {
        try (Heap heap = Heap.builder().arenaBytes(ARENA).build()) {
            final Shared shared = new Shared(heap, scripts.size());
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < scripts.size(); t++) {
                threads.add(Thread.ofPlatform().daemon().name("heap-concurrent-" + t)
                        .start(new Worker(shared, t, scripts.get(t))));
            }
            try {
                try {
                    shared.done.await(WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (final TimeoutException e) {
                    throw new AssertionError("the threads did not finish their scripts within " + WAIT_SECONDS
                            + " s: a hang in the heap?", e);
                }
                shared.rethrowFailures();
                checkQuiet(heap, shared, "after the scripts");
                for (final Block b : List.copyOf(shared.live.values())) {
                    assertIntact(b, "the checking thread, freeing what was left");
                    shared.live.remove(b.address(), b);
                    heap.free(b.address());
                }
                checkQuiet(heap, shared, "after freeing everything");
            } finally {
                shared.release.countDown();
                for (final Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
                }
            }
            shared.rethrowFailures();
        }
    }

    /** What the threads of one try share: the heap, the model of live blocks, the hand-off queues, failures. */
    private static final class Shared {
        final Heap heap;
        final long page;
        /** Every live block by address, whoever holds it; a block leaves before it is freed, enters after. */
        final ConcurrentSkipListMap<Long, Block> live = new ConcurrentSkipListMap<>();
        final List<ConcurrentLinkedQueue<Block>> inboxes = new ArrayList<>();
        final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        final CyclicBarrier start;
        /** The workers and the checking thread meet here when every script is done. */
        final CyclicBarrier done;
        /** Opened by the checking thread when it has finished with the heap; only then do the workers end. */
        final CountDownLatch release = new CountDownLatch(1);

        Shared(final Heap heap, final int threads) {
            this.heap = heap;
            this.page = heap.pageHeap().pageSize();
            for (int t = 0; t < threads; t++) {
                inboxes.add(new ConcurrentLinkedQueue<>());
            }
            this.start = new CyclicBarrier(threads);
            this.done = new CyclicBarrier(threads + 1);
        }

        /** Enters a new block into the model; a block already there that it overlaps is live, so this fails. */
        void claim(final Block b, final String where) {
            final Block same = live.putIfAbsent(b.address(), b);
            if (same != null) {
                throw new AssertionError(where + ": handed out " + b + " while " + same + " is live");
            }
            final Map.Entry<Long, Block> below = live.lowerEntry(b.address());
            if (below != null && below.getValue().end() > b.address()) {
                throw new AssertionError(where + ": " + b + " overlaps live " + below.getValue());
            }
            final Map.Entry<Long, Block> above = live.higherEntry(b.address());
            if (above != null && b.end() > above.getKey()) {
                throw new AssertionError(where + ": " + b + " overlaps live " + above.getValue());
            }
        }

        void rethrowFailures() {
            final Throwable first = failures.peek();
            if (first == null) {
                return;
            }
            final AssertionError e = new AssertionError(failures.size() + " failure(s) on the heap's threads; "
                    + "the first: " + first.getMessage(), first);
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    /** One thread's script, the blocks it owns, and the checks it makes as it goes. */
    private static final class Worker implements Runnable {
        private final Shared shared;
        private final int index;
        private final List<Action> script;
        private final List<Block> mine = new ArrayList<>();
        private int nextId;
        private String where = "before the first action";

        Worker(final Shared shared, final int index, final List<Action> script) {
            this.shared = shared;
            this.index = index;
            this.script = script;
        }

        @Override
        public void run() {
            try {
                shared.start.await(WAIT_SECONDS, TimeUnit.SECONDS);
                for (int i = 0; i < script.size(); i++) {
                    where = "thread " + index + ", action " + i + " " + script.get(i);
                    receive();
                    perform(script.get(i));
                }
                where = "thread " + index + ", after its script";
                receive();
            } catch (final Throwable t) {
                shared.failures.add(t);
            } finally {
                try {
                    shared.done.await(WAIT_SECONDS, TimeUnit.SECONDS);
                    shared.release.await(WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (final Exception e) {
                    shared.failures.add(e);
                }
            }
        }

        /** Frees one block another thread handed over, if any: a cross-thread free. */
        private void receive() {
            final Block b = shared.inboxes.get(index).poll();
            if (b != null) {
                assertIntact(b, where + ", receiving");
                shared.live.remove(b.address(), b);
                shared.heap.free(b.address());
            }
        }

        private void perform(final Action action) {
            switch (action) {
                case Alloc(final long size, final long alignment) -> {
                    final long address = alignment == 1 ? shared.heap.allocate(size)
                            : shared.heap.allocate(size, alignment);
                    mine.add(fresh(address, size, alignment, expectedClass(size, alignment, shared.page)));
                }
                case Free(final int pick) -> {
                    if (!mine.isEmpty()) {
                        final Block b = mine.remove(pick % mine.size());
                        assertIntact(b, where);
                        shared.live.remove(b.address(), b);
                        shared.heap.free(b.address());
                    }
                }
                case HandOff(final int pick, final int to) -> {
                    if (!mine.isEmpty()) {
                        final int n = shared.inboxes.size();
                        shared.inboxes.get((index + 1 + to % (n - 1)) % n).add(mine.remove(pick % mine.size()));
                    }
                }
                case Realloc(final int pick, final long newSize) -> {
                    if (!mine.isEmpty()) {
                        mine.add(reallocate(mine.remove(pick % mine.size()), newSize));
                    }
                }
            }
        }

        private Block reallocate(final Block old, final long newSize) {
            assertIntact(old, where + ", before reallocating");
            shared.live.remove(old.address(), old);
            final long address = shared.heap.reallocate(old.address(), newSize);
            if (address == old.address()) {
                final long usable = shared.heap.usableSize(address);
                if (usable != old.usable() || newSize > usable) {
                    throw new AssertionError(where + ": reallocated in place to " + newSize + " B, but " + old
                            + " now has " + usable + " usable bytes");
                }
                assertIntact(old, where + ", reallocated in place");
                final Block b = new Block(address, newSize, old.alignment(), usable, old.sizeClass(), tag());
                shared.claim(b, where);
                BlockPattern.stamp(address, usable, b.tag());
                return b;
            }
            final long kept = Math.min(old.usable(), newSize);
            final long damage = BlockPattern.firstDamage(address, old.usable(), old.tag(), kept);
            if (damage >= 0) {
                throw new AssertionError(where + ": " + old + " moved to 0x" + Long.toHexString(address)
                        + " lost its contents at offset " + damage + " of the " + kept + " bytes kept");
            }
            final long usable = shared.heap.usableSize(address);
            final long dirty = BlockPattern.firstNonZero(address + kept, usable - kept);
            if (dirty >= 0) {
                throw new AssertionError(where + ": " + old + " moved to 0x" + Long.toHexString(address)
                        + " is not zero past the kept " + kept + " bytes, at offset " + (kept + dirty));
            }
            return checkedIn(address, newSize, 1, expectedClass(newSize, 1, shared.page), usable);
        }

        /** A block just allocated: zeroed in full, then checked in and stamped. */
        private Block fresh(final long address, final long size, final long alignment, final int sizeClass) {
            final long usable = shared.heap.usableSize(address);
            final long dirty = BlockPattern.firstNonZero(address, usable);
            if (dirty >= 0) {
                throw new AssertionError(where + ": new block at 0x" + Long.toHexString(address) + " of " + usable
                        + " usable bytes is not zero at offset " + dirty);
            }
            return checkedIn(address, size, alignment, sizeClass, usable);
        }

        /** Checks a new block's alignment and usable size, enters it into the model, and stamps it. */
        private Block checkedIn(final long address, final long size, final long alignment, final int sizeClass,
                                final long usable) {
            final Block b = new Block(address, size, alignment, usable, sizeClass, tag());
            final long expected = sizeClass >= 0 ? SizeClasses.size(sizeClass)
                    : (size + shared.page - 1) / shared.page * shared.page;
            if (address % Math.max(16, alignment) != 0 || usable < size || usable != expected) {
                throw new AssertionError(where + ": got " + b + "; expected " + expected + " usable bytes, aligned "
                        + "to " + Math.max(16, alignment));
            }
            shared.claim(b, where);
            BlockPattern.stamp(address, usable, b.tag());
            return b;
        }

        /** The tag of this thread's next block: thread + 1 in the high word, the block's id in the low one. */
        private long tag() {
            return ((long) index + 1) << 32 | nextId++;
        }
    }

    /**
     * The size class a request lands in, or -1 for a page run: the heap's documented rule (up to 16-byte
     * alignment the class of the size; up to a page, the first class from the rounded size that is a multiple of
     * the alignment; larger alignments and sizes get page runs).
     */
    static int expectedClass(final long size, final long alignment, final long page) {
        if (alignment <= 16) {
            return size <= SizeClasses.MAX_SIZE ? SizeClasses.classOf(size) : -1;
        }
        final long rounded = (size + alignment - 1) & -alignment;
        if (alignment > page || rounded > SizeClasses.MAX_SIZE) {
            return -1;
        }
        for (int c = SizeClasses.classOf(rounded); c < SizeClasses.COUNT; c++) {
            if (SizeClasses.size(c) % alignment == 0) {
                return c;
            }
        }
        return -1;
    }

    private static void assertIntact(final Block b, final String where) {
        final long damage = BlockPattern.firstDamage(b.address(), b.usable(), b.tag());
        if (damage >= 0) {
            throw new AssertionError(where + ": " + b + " changed at offset " + damage + " while live");
        }
    }

    /**
     * With every worker waiting: the model's blocks are pairwise disjoint and match the heap's statistics, and the
     * page heap's invariants hold.
     */
    private static void checkQuiet(final Heap heap, final Shared shared, final String when) {
        Block previous = null;
        for (final Block b : shared.live.values()) {
            if (previous != null && previous.end() > b.address()) {
                throw new AssertionError(when + ": live " + previous + " overlaps live " + b);
            }
            previous = b;
        }
        final long[] perClass = new long[SizeClasses.COUNT];
        long runBytes = 0;
        for (final Block b : shared.live.values()) {
            if (b.sizeClass() >= 0) {
                perClass[b.sizeClass()]++;
            } else {
                runBytes += b.usable();
            }
        }
        final HeapStats stats = heap.stats();
        final StringBuilder wrong = new StringBuilder();
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            final long counted = stats.classes().get(c).liveObjects();
            if (counted != perClass[c]) {
                wrong.append("\n  class of ").append(SizeClasses.size(c)).append(" B: heap ").append(counted)
                        .append(" live, model ").append(perClass[c]);
            }
        }
        if (stats.pageRunBytes() != runBytes) {
            wrong.append("\n  page runs: heap ").append(stats.pageRunBytes()).append(" B, model ").append(runBytes)
                    .append(" B");
        }
        if (!wrong.isEmpty()) {
            throw new AssertionError(when + ", with " + shared.live.size() + " live blocks, the heap's statistics "
                    + "disagree with the model:" + wrong + "\n  " + stats.pages());
        }
        heap.checkInvariants();
    }
}
