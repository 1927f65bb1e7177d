package dev.pagoda.os.port;

import dev.pagoda.os.MemState;
import dev.pagoda.os.Operation;
import dev.pagoda.os.OsMemoryException;
import dev.pagoda.os.OsMemoryStats;
import dev.pagoda.os.OsOutOfMemoryException;
import dev.pagoda.os.libc.Errno;

import java.util.Arrays;

/**
 * {@link dev.pagoda.os.OsMemory}'s transition engine: the state of every page the layer owns, the bytes held in each state and
 * the locked pages, and the protocol that moves ranges between states around the system calls. {@code OsMemory}
 * checks arguments, documents the contract and delegates here.
 *
 * <p>The protocol: under the monitor of {@link #states} (the engine's only lock, a leaf: nothing else is taken
 * under it), check that every page of the range is in a state the transition starts from and that no call is in
 * flight on any of it, and record the range as in flight (its pages keep their old state meanwhile); make the system
 * call without the lock; then, under the lock again, forget the range in flight and commit the new state and move
 * the counters, or leave the old state if the call failed. A transition that meets a busy page fails instead of waiting, so two threads never race the same pages
 * through the kernel; a reservation that meets one waits for it, because the kernel handed the range out again
 * after another thread's {@code munmap} and before that thread's bookkeeping.
 */
public final class Transitions {
    /** The mask bit of {@link MemState#RESERVED} in a transition's {@code fromMask}. */
    public static final int M_RESERVED = 1 << MemState.RESERVED.ordinal();
    /** The mask bit of {@link MemState#PREPARED}. */
    public static final int M_PREPARED = 1 << MemState.PREPARED.ordinal();
    /** The mask bit of {@link MemState#READY}. */
    public static final int M_READY = 1 << MemState.READY.ordinal();
    /** Every state the layer owns. */
    public static final int M_OWNED = M_RESERVED | M_PREPARED | M_READY;
    /** The code of a locked page in {@link #locks}. */
    private static final int LOCKED = 1;

    private final Backend backend;
    /** Page states of everything the layer owns; guarded by itself, together with every field below. */
    private final RangeStates states = new RangeStates();
    /** Bytes per state, indexed by {@link MemState#ordinal()}; ranges in flight count in their old state. */
    private final long[] bytes = new long[MemState.values().length];
    /** The pages {@code OsMemory.lock} locked (code {@link #LOCKED}). */
    private final RangeStates locks = new RangeStates();
    private long lockedBytes;
    /**
     * The ranges with a system call in flight, {@code [flightStarts[i], flightEnds[i])} for {@code i < flights}: a
     * handful (one per thread in a call, or the ranges of one batch), so a scan is cheaper than marking them in
     * {@link #states}, which would cut runs there only to join them again when the call returns.
     */
    private long[] flightStarts = new long[8];
    private long[] flightEnds = new long[8];
    private int flights;

    /**
     * The engine over a port.
     *
     * @param backend the port that makes the system calls
     */
    public Transitions(final Backend backend) {
        this.backend = backend;
    }

    /**
     * Records a range the kernel just handed out (reserve, alloc), or throws the failure {@code p} encodes.
     *
     * @param op     the operation that made the range
     * @param p      its start, or {@code -errno}
     * @param length its size
     * @param state  its state now
     * @return {@code p}
     */
    public long recordNew(final Operation op, final long p, final long length, final MemState state) {
        if (p < 0) {
            throw failure(op, 0L, length, (int) -p);
        }
        synchronized (states) {
            RangeStates.Run clash;
            while ((clash = states.firstOutside(p, p + length, 1 << RangeStates.ABSENT)) != null) {
                if (inFlight(clash.start(), clash.end()) < 0) {
                    throw new IllegalStateException(op.goName() + ": the OS returned [" + hex(p) + ", "
                            + hex(p + length) + ") which overlaps " + describe(clash) + " that this layer already "
                            + "owns; something else unmapped memory it did not own");
                }
                // A range the kernel hands out again while a call on it is still in flight is one another thread
                // is freeing: its munmap has returned, its bookkeeping has not yet. Wait for it (a few µs).
                awaitTransitions();
            }
            states.assign(p, p + length, state.ordinal());
            bytes[state.ordinal()] += length;
        }
        return p;
    }

    /**
     * Checks the range, claims it (every page must be in {@code fromMask}), makes the call without the lock,
     * then commits the new state, or restores the old one if the call failed. {@code to == null} means the
     * pages keep their states (hints). The range is checked for alignment by the caller.
     *
     * @param op       the operation
     * @param address  the range's start
     * @param length   its size
     * @param fromMask the states the transition starts from
     * @param to       the state it ends in, or null for a hint
     */
    public void transition(final Operation op, final long address, final long length, final int fromMask,
                    final MemState to) {
        if (to == null) {
            hint(op, address, length, fromMask);
            return;
        }
        final long end = address + length;
        synchronized (states) {
            checkFrom(op, address, length, fromMask);
            claim(address, end);
        }
        int rc = Integer.MIN_VALUE;
        try {
            rc = invoke(op, address, length);
        } finally {
            synchronized (states) {
                states.notifyAll(); // a reserve may be waiting for this range to become free
                unclaim(address, end);
                if (rc == 0) {
                    commit(op, address, end, to);
                }
            }
        }
        if (rc < 0) {
            throw failure(op, address, length, -rc);
        }
    }

    /**
     * {@code OsMemory.unused(long[], long[], int)}: Ready → Prepared over several ranges with as few system calls
     * as the port allows. Every range is checked before any call; the ranges released before a failing one commit,
     * the failing one and those after it keep their state.
     *
     * @param addresses the ranges' starts, checked by the caller
     * @param lengths   their sizes
     * @param count     how many
     */
    public void unused(final long[] addresses, final long[] lengths, final int count) {
        synchronized (states) {
            for (int i = 0; i < count; i++) {
                checkFrom(Operation.UNUSED, addresses[i], lengths[i], M_READY);
            }
            for (int i = 0; i < count; i++) {
                claim(addresses[i], addresses[i] + lengths[i]);
            }
        }
        long outcome = 0; // nothing released, should the backend throw
        try {
            outcome = backend.unused(addresses, lengths, count);
        } finally {
            final int released = (int) (outcome >>> 32);
            synchronized (states) {
                states.notifyAll();
                for (int i = 0; i < count; i++) {
                    unclaim(addresses[i], addresses[i] + lengths[i]);
                    if (i < released) {
                        commit(Operation.UNUSED, addresses[i], addresses[i] + lengths[i], MemState.PREPARED);
                    }
                }
            }
        }
        final int released = (int) (outcome >>> 32);
        if (released < count) {
            throw failure(Operation.UNUSED, addresses[released], lengths[released], (int) outcome);
        }
    }

    /** Throws unless every page of the range is in {@code fromMask} and, for a release, unlocked; holds the lock. */
    private void checkFrom(final Operation op, final long address, final long length, final int fromMask) {
        final long end = address + length;
        final int busy = inFlight(address, end);
        if (busy >= 0) {
            final long from = Math.max(address, flightStarts[busy]);
            throw new IllegalStateException(op.goName() + "(" + hex(address) + ", " + length + "): [" + hex(from)
                    + ", " + hex(Math.min(end, flightEnds[busy])) + ") is "
                    + MemState.values()[states.codeAt(from)] + " with a call in flight in another thread but the "
                    + "transition needs " + maskNames(fromMask));
        }
        final RangeStates.Run bad = states.firstOutside(address, end, fromMask);
        if (bad != null) {
            throw new IllegalStateException(op.goName() + "(" + hex(address) + ", " + length + "): "
                    + describe(bad) + " but the transition needs " + maskNames(fromMask));
        }
        if ((op == Operation.UNUSED || op == Operation.FAULT) && locks.bytesWith(address, end, LOCKED) != 0) {
            final RangeStates.Run locked = locks.firstOutside(address, end, 1 << RangeStates.ABSENT);
            throw new IllegalStateException(op.goName() + "(" + hex(address) + ", " + length + "): ["
                    + hex(locked.start()) + ", " + hex(locked.end()) + ") is locked, and the kernel does not "
                    + "drop locked pages; unlock it first");
        }
    }

    /** The index of a range in flight that overlaps {@code [start, end)}, or -1; holds the lock. */
    private int inFlight(final long start, final long end) {
        for (int i = 0; i < flights; i++) {
            if (flightStarts[i] < end && start < flightEnds[i]) {
                return i;
            }
        }
        return -1;
    }

    /** Records a checked range as in flight; holds the lock. */
    private void claim(final long start, final long end) {
        if (flights == flightStarts.length) {
            flightStarts = Arrays.copyOf(flightStarts, flights * 2);
            flightEnds = Arrays.copyOf(flightEnds, flights * 2);
        }
        flightStarts[flights] = start;
        flightEnds[flights] = end;
        flights++;
    }

    /** Forgets a range {@link #claim} recorded; holds the lock. */
    private void unclaim(final long start, final long end) {
        for (int i = 0; i < flights; i++) {
            if (flightStarts[i] == start && flightEnds[i] == end) {
                flights--;
                flightStarts[i] = flightStarts[flights];
                flightEnds[i] = flightEnds[flights];
                return;
            }
        }
        throw new IllegalStateException("no call in flight on [" + hex(start) + ", " + hex(end) + ")");
    }

    /** Gives a claimed range its new state after a successful call; holds the lock. */
    private void commit(final Operation op, final long address, final long end, final MemState to) {
        states.subtractBytes(address, end, bytes);
        bytes[to.ordinal()] += to == MemState.NONE ? 0 : end - address;
        states.assign(address, end, to.ordinal());
        if (op == Operation.LOCK || op == Operation.UNLOCK || op == Operation.FREE) {
            lockedBytes -= locks.bytesWith(address, end, LOCKED);
            locks.assign(address, end, op == Operation.LOCK ? LOCKED : RangeStates.ABSENT);
            lockedBytes += op == Operation.LOCK ? end - address : 0;
        }
    }

    /**
     * Waits, holding the states' monitor, until some transition in flight commits. An interrupt does not stop
     * the wait (the kernel has already given us the range, which must be recorded, not leaked); the thread's
     * interrupt status is set again afterwards.
     */
    private void awaitTransitions() {
        boolean interrupted = false;
        try {
            states.wait(1);
        } catch (final InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A hint changes no state, so unlike a transition it neither marks its range busy nor is refused by one in
     * flight: madvise advice racing a {@code used}/{@code unused} of the same pages is harmless to the kernel,
     * and the allocator's scavenger must be able to advise ({@code MADV_COLLAPSE}) a chunk while a thread makes
     * one of its pages Ready. The pages must still be Prepared or Ready (or on their way between the two).
     */
    private void hint(final Operation op, final long address, final long length, final int fromMask) {
        synchronized (states) {
            final RangeStates.Run bad = states.firstOutside(address, address + length, fromMask);
            if (bad != null) {
                throw new IllegalStateException(op.goName() + "(" + hex(address) + ", " + length + "): "
                        + describe(bad) + " but the hint needs " + maskNames(fromMask));
            }
        }
        // The backends ignore the kernel's answer, as Go does: a hint is advice, and the range stays usable.
        switch (op) {
            case HUGE_PAGE -> backend.hugePage(address, length);
            case NO_HUGE_PAGE -> backend.noHugePage(address, length);
            case HUGE_PAGE_COLLAPSE -> backend.hugePageCollapse(address, length);
            default -> throw new IllegalArgumentException(op + " is not a hint");
        }
    }

    private int invoke(final Operation op, final long address, final long length) {
        return switch (op) {
            case MAP -> backend.map(address, length);
            case USED -> backend.used(address, length);
            case UNUSED -> backend.unused(address, length);
            case FAULT -> backend.fault(address, length);
            case FREE -> backend.free(address, length);
            case LOCK -> backend.lock(address, length);
            case UNLOCK -> backend.unlock(address, length);
            case HUGE_PAGE, NO_HUGE_PAGE, HUGE_PAGE_COLLAPSE, RESERVE, ALLOC ->
                    throw new IllegalArgumentException(op + " is not a range transition");
        };
    }

    /**
     * The exception for a failed call.
     *
     * @param op      the operation
     * @param address the range's start
     * @param length  its size
     * @param errno   the kernel's answer
     * @return the exception to throw
     */
    public OsMemoryException failure(final Operation op, final long address, final long length, final int errno) {
        if (op == Operation.LOCK) {
            // ENOMEM from mlock is the locked-memory limit (or an unmapped page), not a shortage of memory.
            return new OsMemoryException(op, address, length, errno, backend.errnoName(errno), backend.name(),
                    backend.lockRefusal(errno));
        }
        if (errno == Errno.ENOMEM) {
            return new OsOutOfMemoryException(op, address, length, backend.name());
        }
        return new OsMemoryException(op, address, length, errno, backend.errnoName(errno), backend.name());
    }

    // -----------------------------------------------------------------------------------------------------------
    // Queries.

    /**
     * Bytes locked now.
     *
     * @return the locked bytes
     */
    public long lockedBytes() {
        synchronized (states) {
            return lockedBytes;
        }
    }

    /**
     * The bytes in each state.
     *
     * @return a consistent snapshot
     */
    public OsMemoryStats stats() {
        synchronized (states) {
            return new OsMemoryStats(bytes[MemState.RESERVED.ordinal()], bytes[MemState.PREPARED.ordinal()],
                    bytes[MemState.READY.ordinal()]);
        }
    }

    /**
     * The state of the page at {@code address}; a page in flight reports the state it leaves.
     *
     * @param address any address
     * @return its state
     */
    public MemState stateOf(final long address) {
        synchronized (states) {
            return MemState.values()[states.codeAt(address)];
        }
    }

    /**
     * Bytes of a range in a state.
     *
     * @param address the range's start
     * @param length  its size
     * @param state   the state to count
     * @return the bytes
     */
    public long bytesIn(final long address, final long length, final MemState state) {
        synchronized (states) {
            return states.bytesWith(address, address + length, state.ordinal());
        }
    }

    private static String describe(final RangeStates.Run run) {
        final String what = run.code() == RangeStates.ABSENT ? "NONE (not owned by this OsMemory)"
                : MemState.values()[run.code()].name();
        return "[" + hex(run.start()) + ", " + hex(run.end()) + ") is " + what;
    }

    private static String maskNames(final int mask) {
        final StringBuilder sb = new StringBuilder();
        for (final MemState s : MemState.values()) {
            if ((mask & (1 << s.ordinal())) != 0) {
                sb.append(sb.isEmpty() ? "" : " or ").append(s.name());
            }
        }
        return sb.toString();
    }

    /**
     * An address for a message.
     *
     * @param value the address
     * @return {@code 0x} and its hex digits
     */
    public static String hex(final long value) {
        return "0x" + Long.toHexString(value);
    }
}
