package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.PagodaOutOfMemoryError;
import dev.pagoda.alloc.ReclaimStats;
import dev.pagoda.alloc.Reclaimer;
import dev.pagoda.alloc.events.HeapEvents;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Eviction before failure: a heap's {@link Reclaimer}s, and the retry of an allocation that met the memory limit.
 * The limit's own path ({@link Releaser#reserveReady}) releases free pages and flushes the page caches, and may run
 * with a page cache's lock held, so it only fails; the failure travels up to the public method that was called
 * ({@code Heap.allocate}, {@code PageHeap.allocate}, ...), where no lock of the heap is held and no structure is half
 * changed, and that method hands it to {@link #retry}, which runs the reclaimers there and calls the allocation again.
 * The fast paths of a heap without reclaimers pay nothing: the public methods guard the engine's path with the
 * exception handler only once a reclaimer was registered ({@link #active()}), as a handler around the inlined
 * small-object path cost it a few nanoseconds.
 *
 * <p><b>One round at a time.</b> A round asks the reclaimers in registration order until they report the bytes the
 * allocation lacks. Its owner is recorded under {@link #rounds}; a thread that fails while another's round runs waits
 * for that round to end, then retries its allocation, and runs a round of its own only if the retry fails again.
 * So a burst of threads at the limit evicts about what they need, one round after another, and a reclaimer is never
 * called concurrently for one heap. An allocation runs at most {@value #MAX_ROUNDS} rounds of its own, asking twice
 * as much each time (freed small objects give their pages back only once whole spans are empty), and stops at the
 * first round that frees nothing.
 *
 * <p><b>Re-entrancy.</b> The reclaimers run inside a {@link ScopedValue} binding ({@link #RECLAIMING}). An allocation
 * in that scope, by the reclaimer's thread or a thread it forked in a structured scope, on this heap or any other,
 * never runs reclaimers and never waits for a round: at the limit it fails at once. So a reclaimer that allocates
 * cannot recurse into reclaimers, nor wait for its own round.
 *
 * <p><b>Lock order.</b> {@link #rounds} is a leaf: nothing is taken while it is held, no reclaimer and no allocation
 * runs under it. The reclaimers and the retried allocation run with no lock of the heap held. Closing the heap
 * ({@link #close()}) wakes every waiter; their retries then fail with {@link IllegalStateException}.
 */
public final class MemoryPressure {
    /** The most rounds one allocation runs itself. */
    static final int MAX_ROUNDS = 16;
    /** Bound while reclaimers run; an allocation in its scope never asks reclaimers nor waits for a round. */
    private static final ScopedValue<Boolean> RECLAIMING = ScopedValue.newInstance();
    private static final System.Logger LOG = System.getLogger("dev.pagoda.alloc");

    private final String name;
    private final CopyOnWriteArrayList<Entry> reclaimers = new CopyOnWriteArrayList<>();
    /**
     * Whether a reclaimer was ever registered: the public allocation methods take their guarded path (an exception
     * handler around the engine) only then. Never reset, so an allocation that read it true stays guarded.
     */
    private volatile boolean active;
    /**
     * Guards {@link #owner}, {@link #finished} and {@link #closed}; waiters wait on it. A leaf in the heap's lock
     * order: nothing is taken while it is held.
     */
    private final Object rounds = new Object();
    /** The thread running a round, or null. */
    private Thread owner;
    /** Rounds finished, for waiters to see one end. */
    private long finished;
    private boolean closed;
    /**
     * Runs after each round with the bytes it asked for, with no lock held: the {@code Heap} gives spans emptied by
     * the reclaimers back.
     */
    private volatile LongConsumer afterRound = asked -> { };

    private final LongAdder roundsRun = new LongAdder();
    private final LongAdder calls = new LongAdder();
    private final LongAdder wanted = new LongAdder();
    private final LongAdder reclaimed = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder rescued = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder waits = new LongAdder();

    /** One registration; unregistered by {@link #close()}. */
    private final class Entry implements Reclaimer.Registration {
        private final Reclaimer reclaimer;
        /** Whether a failure of this reclaimer was logged at WARNING already. */
        private volatile boolean warned;

        Entry(final Reclaimer reclaimer) {
            this.reclaimer = reclaimer;
        }

        @Override
        public void close() {
            reclaimers.remove(this);
        }

        @Override
        public String toString() {
            return "reclaimer " + reclaimer + " of heap " + name;
        }
    }

    MemoryPressure(final String name) {
        this.name = name;
    }

    /**
     * Registers {@code reclaimer} (the {@code Heap.onMemoryPressure} contract).
     *
     * @param reclaimer what frees memory at the limit
     * @return the registration, whose {@code close()} unregisters it
     * @throws NullPointerException  if {@code reclaimer} is null
     * @throws IllegalStateException if the heap is closed
     */
    public Reclaimer.Registration register(final Reclaimer reclaimer) {
        final Entry entry = new Entry(Objects.requireNonNull(reclaimer, "reclaimer"));
        synchronized (rounds) {
            if (closed) {
                throw CloseGate.closed();
            }
            reclaimers.add(entry);
            active = true;
        }
        return entry;
    }

    /**
     * Whether the heap has ever had a reclaimer: the public allocation methods guard their call to the engine only
     * then (the exception handler costs the fast path a few nanoseconds).
     *
     * @return true once a reclaimer was registered
     */
    public boolean active() {
        return active;
    }

    /**
     * Sets what runs after each round, with no lock held, given the bytes the round asked for (the {@code Heap} gives
     * its empty spans back).
     *
     * @param hook the action
     */
    public void afterRound(final LongConsumer hook) {
        this.afterRound = Objects.requireNonNull(hook, "hook");
    }

    /**
     * Relieves the pressure behind {@code failure} and retries: the slow path of every public allocation, called in
     * its {@code catch} with no lock of the heap held. Unless {@code failure} is the memory limit's, nothing is
     * registered, the request is larger than the limit itself, or the calling thread is running reclaimers, it runs
     * (or waits for) rounds of reclaimers and calls {@code attempt} after each, as the class comment says.
     *
     * @param failure the allocation's failure
     * @param attempt the allocation, called again after each round
     * @return what {@code attempt} returned once it succeeded
     * @throws PagodaOutOfMemoryError the last failure, with what the reclaimers threw suppressed in it, if the
     *                                reclaimers could not free enough
     * @throws IllegalStateException  if the heap was closed meanwhile
     */
    public long retry(final PagodaOutOfMemoryError failure, final LongSupplier attempt) {
        if (!relievable(failure) || reclaimers.isEmpty() || RECLAIMING.isBound()) {
            throw failure;
        }
        PagodaOutOfMemoryError last = failure;
        long want = lack(failure);
        final List<Throwable> problems = new ArrayList<>(0);
        boolean interrupted = false;
        int own = 0;
        try {
            while (true) {
                final boolean mine;
                synchronized (rounds) {
                    if (closed) {
                        throw CloseGate.closed();
                    }
                    mine = owner == null;
                    if (mine) {
                        owner = Thread.currentThread();
                    } else {
                        waits.increment();
                        final long seen = finished;
                        while (finished == seen && !closed) {
                            try {
                                rounds.wait();
                            } catch (final InterruptedException e) {
                                interrupted = true; // an allocation is not interruptible: keep the flag for later
                            }
                        }
                    }
                }
                long got = 0;
                if (mine) {
                    final long asked = want;
                    try {
                        got = ScopedValue.where(RECLAIMING, Boolean.TRUE).call(() -> round(asked, problems));
                    } finally {
                        synchronized (rounds) {
                            owner = null;
                            finished++;
                            rounds.notifyAll();
                        }
                    }
                    own++;
                }
                try {
                    final long result = attempt.getAsLong();
                    rescued.increment();
                    return result;
                } catch (final PagodaOutOfMemoryError e) {
                    last = e;
                    if (!relievable(e)) {
                        break;
                    }
                }
                if (mine && (got == 0 || own >= MAX_ROUNDS) || reclaimers.isEmpty()) {
                    break;
                }
                want = Math.max(lack(last), mine ? (want > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : 2 * want) : want);
            }
            failed.increment();
            for (final Throwable t : problems) {
                last.addSuppressed(t);
            }
            throw last;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether reclaimers may help: the memory limit refused a request that fits under the limit at all. */
    private static boolean relievable(final PagodaOutOfMemoryError e) {
        return Releaser.MEMORY_LIMIT.equals(e.limitName()) && e.requestBytes() <= e.limitBytes();
    }

    /** The bytes {@code e}'s request lacked under the limit, at least 1. */
    private static long lack(final PagodaOutOfMemoryError e) {
        final long headroom = e.limitBytes() - e.usedBytes(); // both non-negative: no overflow
        final long lack = headroom >= 0 ? e.requestBytes() - headroom
                : e.requestBytes() > Long.MAX_VALUE + headroom ? Long.MAX_VALUE : e.requestBytes() - headroom;
        return Math.max(1, lack);
    }

    /** Asks the reclaimers in turn until they report {@code want} bytes; returns what they reported. */
    private long round(final long want, final List<Throwable> problems) {
        final jdk.jfr.Event event = HeapEvents.reclaimStarted();
        roundsRun.increment();
        wanted.add(want);
        long total = 0;
        int called = 0;
        int broken = 0;
        for (final Entry entry : reclaimers) { // a snapshot: registrations may come and go meanwhile
            if (total >= want) {
                break;
            }
            called++;
            calls.increment();
            try {
                final long got = entry.reclaimer.reclaim(want - total);
                if (got < 0) {
                    throw new IllegalStateException("a Reclaimer returns the bytes it freed, at least 0: "
                            + entry + " returned " + got);
                }
                total = got > Long.MAX_VALUE - total ? Long.MAX_VALUE : total + got;
            } catch (final RuntimeException | Error e) {
                if (e instanceof VirtualMachineError && !(e instanceof PagodaOutOfMemoryError)) {
                    throw e; // the JVM's own trouble: not the reclaimer's to hide
                }
                broken++;
                failures.increment();
                problems.add(e);
                log(entry, e);
            }
        }
        reclaimed.add(total);
        try {
            afterRound.accept(want);
        } finally {
            HeapEvents.reclaimEnded(event, name, want, total, called, broken);
        }
        return total;
    }

    private void log(final Entry entry, final Throwable e) {
        final boolean closing;
        synchronized (rounds) {
            closing = closed;
        }
        if (closing) {
            return; // the heap closed under the reclaimer: its failure says so, and the allocation fails anyway
        }
        final boolean first = !entry.warned;
        entry.warned = true;
        LOG.log(first ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, "pagoda: " + entry
                + " threw; the heap goes on with the other reclaimers and retries the allocation", e);
    }

    /** Refuses new registrations and rounds, drops the reclaimers, and wakes every waiting thread. Idempotent. */
    void close() {
        synchronized (rounds) {
            closed = true;
            rounds.notifyAll();
        }
        reclaimers.clear();
    }

    /**
     * The counters.
     *
     * @return a snapshot
     */
    public ReclaimStats stats() {
        return new ReclaimStats(reclaimers.size(), roundsRun.sum(), calls.sum(), wanted.sum(), reclaimed.sum(),
                failures.sum(), rescued.sum(), failed.sum(), waits.sum());
    }
}
