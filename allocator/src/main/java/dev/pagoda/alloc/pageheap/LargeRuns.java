package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.HugePageReport;
import dev.pagoda.os.OsMemory;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs larger than an arena: each gets a dedicated reservation, mapped and made Ready at once (so it reads as
 * zero), and unmapped when freed, as Go does for huge spans that could not fit an arena. They are rare and
 * large, so a concurrent map from address to run is plenty.
 *
 * <p>With guard pages (a debug option) each run's reservation has one extra guard on each side that stays
 * Reserved ({@code PROT_NONE}): an overrun or underrun faults at once instead of corrupting a neighbour.
 */
final class LargeRuns {
    /** One run: its usable bytes, and the reservation around it (the same range without guards). */
    private record Run(long bytes, long base, long total) {
    }

    private final OsMemory os;
    private final boolean guards;
    private final AddressBudget budget;
    private final Releaser releaser;
    private final HugePageReport hugePages;
    private final ConcurrentHashMap<Long, Run> runs = new ConcurrentHashMap<>();
    private final CloseGate gate;
    /**
     * Allocations and frees begun and ended: while they differ, the OS layer's totals and {@link #runs} may disagree
     * by a run being mapped or unmapped. The checker compares them only across a quiet moment ({@link #quiet}).
     */
    private final AtomicLong begun = new AtomicLong();
    private final AtomicLong ended = new AtomicLong();

    LargeRuns(final OsMemory os, final boolean guards, final AddressBudget budget, final Releaser releaser,
              final HugePageReport hugePages, final CloseGate gate) {
        this.gate = gate;
        this.os = os;
        this.hugePages = hugePages;
        this.guards = guards;
        this.budget = budget;
        this.releaser = releaser;
    }

    /** The address space a run of {@code bytes} at {@code alignment} takes, guards included. */
    long reservation(final long bytes, final long alignment) {
        return guards ? bytes + 2 * alignment : bytes;
    }

    /**
     * Reserves, maps and readies {@code bytes} at a multiple of {@code alignment}, within the memory limit and
     * the address-space budget; undoes everything on failure ({@code PagodaOutOfMemoryError} for ENOMEM).
     */
    long allocate(final long bytes, final long alignment) {
        releaser.reserveReady(bytes, true);
        final long total = reservation(bytes, alignment);
        gate.enter();
        try {
            return allocateInside(bytes, alignment, total);
        } finally {
            gate.exit();
        }
    }

    private long allocateInside(final long bytes, final long alignment, final long total) {
        budget.charge(total);
        long base = 0;
        begun.incrementAndGet();
        try {
            base = os.reserveAligned(total, alignment);
            final long address = guards ? base + alignment : base;
            os.map(address, bytes);
            try {
                HugePages.advise(hugePages, os, address, bytes);
            } catch (final RuntimeException ignored) {
                // Hints are advisory, as in Go: the run works without them.
            }
            os.used(address, bytes);
            runs.put(address, new Run(bytes, base, total));
            return address;
        } catch (final RuntimeException e) {
            if (base != 0) {
                os.free(base, total);
            }
            budget.refund(total);
            throw budget.outOfMemory(bytes, e);
        } finally {
            ended.incrementAndGet();
        }
    }

    /**
     * Unmaps the run at {@code address}; returns its reservation's size, or -1 if no large run starts there. If the
     * OS refuses to unmap it, the run stays recorded, live and accounted (a retry may succeed), and the OS layer's
     * exception propagates.
     */
    long free(final long address) {
        gate.enter();
        begun.incrementAndGet();
        try {
            final Run run = runs.remove(address);
            if (run == null) {
                return -1;
            }
            try {
                os.free(run.base, run.total);
            } catch (final RuntimeException e) {
                runs.put(address, run);
                throw e;
            }
            return run.total;
        } finally {
            ended.incrementAndGet();
            gate.exit();
        }
    }

    /**
     * A count of operations begun, to pass to {@link #quiet} after reading the OS layer: the pair tells whether no
     * allocation or free of a large run was under way at any moment in between.
     *
     * @return the count of operations begun, or -1 if one is under way now
     */
    long quietSince() {
        final long e = ended.get();
        final long b = begun.get();
        return b == e ? b : -1;
    }

    /** Whether no operation was under way since {@code since} came from {@link #quietSince()}. */
    boolean quiet(final long since) {
        return since >= 0 && begun.get() == since;
    }

    /** The usable size of the run at {@code address}, or -1. */
    long size(final long address) {
        final Run run = runs.get(address);
        return run == null ? -1 : run.bytes;
    }

    long bytes() {
        long sum = 0;
        for (final Run r : runs.values()) {
            sum += r.bytes;
        }
        return sum;
    }

    /** The runs as {@code [address, bytes, address, bytes, ...]}, a snapshot. */
    long[] ranges() {
        final Run[] all = runs.values().toArray(new Run[0]);
        final long[] out = new long[all.length * 2];
        int i = 0;
        for (final Run r : all) {
            out[i++] = r.base + (r.total - r.bytes) / 2;
            out[i++] = r.bytes;
        }
        return out;
    }

    int count() {
        return runs.size();
    }

    /** Unmaps every run (heap close, with the gate shut and nothing inside it). */
    void freeAll() {
        for (final Run r : runs.values()) {
            os.free(r.base, r.total);
        }
        runs.clear();
    }
}
