package dev.pagoda.verify;

import dev.pagoda.os.MemState;
import dev.pagoda.os.Operation;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryException;
import dev.pagoda.os.Simulation;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulated model and the real Linux port agree on every sequence of {@code sys*} operations: the same
 * calls succeed, the same illegal transitions are rejected with the same exception type, every page ends in
 * the same state, the counters match, and the real kernel's mappings ({@code /proc/self/maps}) and the
 * simulated kernel's protections both match the states.
 */
class PortAgreementProperties {
    private static final int PAGES = 24;
    private static final List<Operation> RANGE_OPS = List.of(Operation.MAP, Operation.USED, Operation.UNUSED,
            Operation.FAULT, Operation.FREE, Operation.HUGE_PAGE, Operation.NO_HUGE_PAGE,
            Operation.HUGE_PAGE_COLLAPSE, Operation.LOCK, Operation.UNLOCK);

    /**
     * One operation on {@code [first, first + count)} pages of the window; a batch {@code UNUSED} gives back the
     * pages {@code first, first + 2, ...} (one page each, every other page, {@code count} of them at most) in one
     * {@link OsMemory#unused(long[], long[], int)}.
     */
    record Step(Operation op, int first, int count, boolean batch) {
    }

    @Provide
    Arbitrary<List<Step>> sequences() {
        final Arbitrary<Step> step = Combinators.combine(
                Arbitraries.of(RANGE_OPS),
                Arbitraries.integers().between(0, PAGES - 1),
                Arbitraries.integers().between(1, 8),
                Arbitraries.of(false, true)).as((op, first, count, batch) ->
                new Step(op, first, Math.min(count, PAGES - first), batch && op == Operation.UNUSED));
        return step.list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 400)
    void simulatedAndLinuxPortsAgreeOnEverySequence(@ForAll("sequences") final List<Step> steps) {
        final Simulation kernel = Simulation.builder().pageSize(4096).build();
        final OsMemory sim = OsMemory.simulated(kernel);
        final OsMemory sys = OsMemory.system();
        final long page = sys.pageSize();
        assertEquals(4096, page, "the simulation is configured for this machine's page size");
        final long simBase = sim.reserve(PAGES * page);
        final long sysBase = sys.reserve(PAGES * page);
        try {
            for (final Step s : steps) {
                final String simOutcome = apply(sim, s, simBase, page);
                final String sysOutcome = apply(sys, s, sysBase, page);
                assertEquals(simOutcome, sysOutcome, () -> "outcome of " + s);
                if (s.op() == Operation.USED && sysOutcome.equals("ok")) {
                    touch(sysBase + s.first() * page, s.count(), page);
                }
                assertAgree(kernel, sim, simBase, sys, sysBase, page, s);
            }
        } finally {
            releaseAll(sim, simBase, page);
            releaseAll(sys, sysBase, page);
        }
        assertEquals(0, sys.stats().ownedBytes());
        assertEquals(0, kernel.reservedBytes());
    }

    private static String apply(final OsMemory os, final Step s, final long base, final long page) {
        final long a = base + s.first() * page;
        final long n = s.count() * page;
        try {
            switch (s.op()) {
                case MAP -> os.map(a, n);
                case USED -> os.used(a, n);
                case UNUSED -> {
                    if (s.batch()) {
                        final int ranges = (s.count() + 1) / 2;
                        final long[] addresses = new long[ranges];
                        final long[] lengths = new long[ranges];
                        for (int i = 0; i < ranges; i++) {
                            addresses[i] = a + 2L * i * page;
                            lengths[i] = page;
                        }
                        os.unused(addresses, lengths, ranges);
                    } else {
                        os.unused(a, n);
                    }
                }
                case FAULT -> os.fault(a, n);
                case FREE -> os.free(a, n);
                case HUGE_PAGE -> os.hugePage(a, n);
                case NO_HUGE_PAGE -> os.noHugePage(a, n);
                case HUGE_PAGE_COLLAPSE -> os.hugePageCollapse(a, n);
                case LOCK -> os.lock(a, n);
                case UNLOCK -> os.unlock(a, n);
                default -> throw new AssertionError(s);
            }
            return "ok";
        } catch (final IllegalStateException | IllegalArgumentException | OsMemoryException e) {
            return e.getClass().getSimpleName();
        }
    }

    private static void assertAgree(final Simulation kernel, final OsMemory sim, final long simBase,
                                    final OsMemory sys, final long sysBase, final long page, final Step after) {
        assertEquals(sim.stats(), sys.stats(), () -> "stats after " + after);
        assertEquals(sim.lockedBytes(), sys.lockedBytes(), () -> "locked bytes after " + after);
        assertEquals(sim.lockedBytes(), kernel.lockedBytes(), () -> "simulated kernel's locked bytes after " + after);
        final ProcMaps maps = ProcMaps.read();
        for (int i = 0; i < PAGES; i++) {
            final MemState state = sim.stateOf(simBase + i * page);
            final long sysPage = sysBase + i * page;
            final int index = i;
            assertEquals(state, sys.stateOf(sysPage), () -> "state of page " + index + " after " + after);
            final Simulation.Protection prot = kernel.protectionOf(simBase + i * page);
            switch (state) {
                case NONE -> assertEquals(Simulation.Protection.UNMAPPED, prot);
                case RESERVED -> {
                    assertEquals(Simulation.Protection.NONE, prot);
                    final ProcMaps.Mapping m = maps.at(sysPage);
                    assertNotNull(m, () -> "page " + index + " is Reserved but unmapped after " + after);
                    assertTrue(m.inaccessible(), () -> "Reserved page " + index + " is " + m.perms());
                }
                case PREPARED, READY -> {
                    assertEquals(Simulation.Protection.READ_WRITE, prot);
                    final ProcMaps.Mapping m = maps.at(sysPage);
                    assertNotNull(m, () -> "page " + index + " is " + state + " but unmapped after " + after);
                    assertTrue(m.readWrite(), () -> state + " page " + index + " is " + m.perms());
                }
            }
            // NONE pages of the real port are not checked against the kernel: once freed, the hole is the
            // process's again and anything (a JVM thread stack, say) may be mapped there.
        }
    }

    @SuppressWarnings("restricted")
    private static void touch(final long address, final int pages, final long page) {
        final MemorySegment s = MemorySegment.ofAddress(address).reinterpret(pages * page);
        for (int i = 0; i < pages; i++) {
            s.set(ValueLayout.JAVA_LONG, i * page, 0x5A5A5A5A5A5A5A5AL);
        }
    }

    private static void releaseAll(final OsMemory os, final long base, final long page) {
        for (int i = 0; i < PAGES; i++) {
            if (os.stateOf(base + i * page) != MemState.NONE) {
                os.free(base + i * page, page);
            }
        }
    }
}
