package dev.pagoda.os;

import dev.pagoda.os.libc.Errno;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The state machine, argument checks, accounting, limits and failure injection, on the simulated kernel. */
class SimulatedOsMemoryTest {
    private static final long PAGE = 4096;
    private final Simulation kernel = Simulation.builder().build();
    private final OsMemory os = OsMemory.simulated(kernel);

    @Test
    void shouldWalkThroughEveryStateAndKeepCountersExact() {
        final long p = os.reserve(16 * PAGE);
        assertEquals(new OsMemoryStats(16 * PAGE, 0, 0), os.stats());
        assertEquals(Simulation.Protection.NONE, kernel.protectionOf(p));

        os.map(p, 16 * PAGE);
        assertEquals(new OsMemoryStats(0, 16 * PAGE, 0), os.stats());
        assertEquals(Simulation.Protection.READ_WRITE, kernel.protectionOf(p));

        os.used(p, 4 * PAGE);
        os.used(p, 8 * PAGE); // idempotent over a mix of Ready and Prepared pages
        assertEquals(new OsMemoryStats(0, 8 * PAGE, 8 * PAGE), os.stats());

        os.unused(p + 2 * PAGE, 2 * PAGE);
        assertEquals(new OsMemoryStats(0, 10 * PAGE, 6 * PAGE), os.stats());
        assertEquals(MemState.PREPARED, os.stateOf(p + 3 * PAGE));
        assertEquals(MemState.READY, os.stateOf(p + 4 * PAGE));

        os.fault(p, 2 * PAGE);
        assertEquals(new OsMemoryStats(2 * PAGE, 10 * PAGE, 4 * PAGE), os.stats());
        assertEquals(Simulation.Protection.NONE, kernel.protectionOf(p));
        assertEquals(4 * PAGE, os.bytesIn(p, 16 * PAGE, MemState.READY));

        os.free(p, 16 * PAGE);
        assertEquals(new OsMemoryStats(0, 0, 0), os.stats());
        assertEquals(MemState.NONE, os.stateOf(p));
        assertEquals(Simulation.Protection.UNMAPPED, kernel.protectionOf(p));
        assertEquals(0, kernel.reservedBytes());
    }

    @Test
    void shouldAllocStraightToReady() {
        final long p = os.alloc(3 * PAGE);
        assertEquals(MemState.READY, os.stateOf(p + 2 * PAGE));
        assertEquals(3 * PAGE, os.stats().readyBytes());
        assertEquals(3 * PAGE, kernel.committedBytes());
    }

    @Test
    void shouldAlignReservations() {
        final long p = os.reserveAligned(64L << 20, 64L << 20);
        assertEquals(0, p & ((64L << 20) - 1));
        assertEquals(64L << 20, os.stats().reservedBytes());
        assertEquals(1, kernel.calls(Operation.RESERVE));
    }

    @Test
    void shouldRejectIllegalTransitionsNamingTheRangeAndState() {
        final long p = os.reserve(4 * PAGE);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> os.used(p, PAGE));
        assertTrue(e.getMessage().contains("sysUsed") && e.getMessage().contains("is RESERVED")
                && e.getMessage().contains("PREPARED or READY"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> os.unused(p, PAGE));
        assertTrue(e.getMessage().contains("READY"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> os.fault(p, PAGE));
        assertThrows(IllegalStateException.class, () -> os.hugePage(p, PAGE));
        os.map(p, 2 * PAGE);
        e = assertThrows(IllegalStateException.class, () -> os.map(p, 4 * PAGE));
        assertTrue(e.getMessage().contains("is PREPARED"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> os.unused(p, PAGE), "Prepared is not Ready");
        // Nothing moved.
        assertEquals(new OsMemoryStats(2 * PAGE, 2 * PAGE, 0), os.stats());
    }

    @Test
    void shouldRefuseToTouchMemoryItDoesNotOwn() {
        final long p = os.reserve(4 * PAGE);
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> os.free(p, 8 * PAGE));
        assertTrue(e.getMessage().contains("not owned"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> os.map(p + 8 * PAGE, PAGE));
        final OsMemory other = OsMemory.simulated(kernel);
        assertThrows(IllegalStateException.class, () -> other.free(p, PAGE), "another instance owns it");
        assertEquals(0, kernel.calls(Operation.FREE), "no call reached the kernel");
    }

    @Test
    void shouldRejectBadArgumentsBeforeAnyCall() {
        final long p = os.reserve(4 * PAGE);
        assertMessage(() -> os.reserve(0), "bytes must be a positive multiple of the page size 4096: bytes=0");
        assertMessage(() -> os.reserve(-PAGE), "bytes=-4096");
        assertMessage(() -> os.reserve(PAGE + 1), "bytes=4097");
        assertMessage(() -> os.map(p + 1, PAGE), "address must be a non-negative multiple of the page size");
        assertMessage(() -> os.map(-PAGE, PAGE), "address=0xfffffffffffff000");
        assertMessage(() -> os.map(Long.MAX_VALUE & -PAGE, PAGE * 2), "must not overflow");
        assertMessage(() -> os.reserveAligned(PAGE, 3 * PAGE), "alignment must be a power of two");
        assertMessage(() -> os.reserveAligned(PAGE, 1024), "alignment=1024");
        assertMessage(() -> os.reserveAligned(Long.MAX_VALUE & -PAGE, 1L << 40), "must not overflow");
        assertMessage(() -> os.bytesIn(p, 0, MemState.READY), "bytes=0");
        assertEquals(1, kernel.calls(Operation.RESERVE));
        assertEquals(0, kernel.calls(Operation.MAP));
    }

    @ParameterizedTest
    @EnumSource(value = Operation.class, mode = EnumSource.Mode.EXCLUDE,
            names = {"HUGE_PAGE", "NO_HUGE_PAGE", "HUGE_PAGE_COLLAPSE"})
    void shouldTurnAnInjectedErrnoIntoAnExceptionAndKeepEveryState(final Operation op) {
        final long p = os.reserve(8 * PAGE);
        os.map(p + 4 * PAGE, 4 * PAGE);
        os.used(p + 6 * PAGE, 2 * PAGE);
        final OsMemoryStats before = os.stats();
        kernel.failNth(op, 1, 22);
        final OsMemoryException e = assertThrows(OsMemoryException.class, () -> apply(op, p));
        assertEquals(op, e.operation());
        assertEquals(22, e.errno());
        assertEquals("EINVAL", e.errnoName());
        assertFalse(e.isOutOfMemory());
        assertEquals(before, os.stats());
        assertEquals(MemState.RESERVED, os.stateOf(p));
        assertEquals(MemState.PREPARED, os.stateOf(p + 4 * PAGE));
        assertEquals(MemState.READY, os.stateOf(p + 6 * PAGE));
        apply(op, p); // the failure fired once; the same call now succeeds
    }

    /**
     * The hints' kernel errors are ignored, as by the Linux port (and Go): an injected failure fires, counts as a
     * call, and leaves every page, every protection and the counters as they were, without an exception.
     */
    @ParameterizedTest
    @EnumSource(value = Operation.class, names = {"HUGE_PAGE", "NO_HUGE_PAGE", "HUGE_PAGE_COLLAPSE"})
    void shouldIgnoreAnInjectedHintFailureAsTheRealPortsDo(final Operation op) {
        final long p = os.reserve(8 * PAGE);
        os.map(p + 4 * PAGE, 4 * PAGE);
        os.used(p + 6 * PAGE, 2 * PAGE);
        final OsMemoryStats before = os.stats();
        final MemState[] states = new MemState[8];
        final Simulation.Protection[] protections = new Simulation.Protection[8];
        for (int i = 0; i < 8; i++) {
            states[i] = os.stateOf(p + i * PAGE);
            protections[i] = kernel.protectionOf(p + i * PAGE);
        }
        kernel.failNth(op, 1, Errno.ENOMEM);
        kernel.failNth(op, 2, 22);

        apply(op, p);
        apply(op, p);

        assertEquals(0, kernel.pendingFailures(), "both failures fired");
        assertEquals(2, kernel.calls(op));
        assertEquals(before, os.stats());
        for (int i = 0; i < 8; i++) {
            assertEquals(states[i], os.stateOf(p + i * PAGE), "state of page " + i);
            assertEquals(protections[i], kernel.protectionOf(p + i * PAGE), "protection of page " + i);
        }
        os.unused(p + 6 * PAGE, 2 * PAGE); // the range is not left busy
        assertEquals(new OsMemoryStats(4 * PAGE, 4 * PAGE, 0), os.stats());
    }

    @Test
    void shouldFailTheNthCallOnly() {
        final long p = os.reserve(8 * PAGE);
        kernel.failNth(Operation.MAP, 3, Errno.ENOMEM);
        os.map(p, PAGE);
        os.map(p + PAGE, PAGE);
        final OsOutOfMemoryException e = assertThrows(OsOutOfMemoryException.class, () -> os.map(p + 2 * PAGE, PAGE));
        assertTrue(e.isOutOfMemory());
        assertEquals(p + 2 * PAGE, e.address());
        os.map(p + 2 * PAGE, PAGE);
        assertEquals(4, kernel.calls(Operation.MAP));
        kernel.failNth(Operation.MAP, 1, Errno.ENOMEM);
        kernel.clearFailures();
        os.map(p + 3 * PAGE, PAGE);
    }

    @Test
    void shouldEnforceTheCommitLimitWithEnomem() {
        final Simulation small = Simulation.builder().commitLimit(8 * PAGE).build();
        final OsMemory mem = OsMemory.simulated(small);
        final long p = mem.reserve(16 * PAGE);
        mem.map(p, 8 * PAGE);
        assertThrows(OsOutOfMemoryException.class, () -> mem.map(p + 8 * PAGE, PAGE));
        assertThrows(OsOutOfMemoryException.class, () -> mem.alloc(PAGE));
        mem.fault(p, 4 * PAGE);
        mem.map(p + 8 * PAGE, 4 * PAGE);
        assertEquals(8 * PAGE, small.committedBytes());
    }

    @Test
    void shouldEnforceTheAddressSpaceLimitWithEnomem() {
        final Simulation small = Simulation.builder().addressSpaceLimit(1L << 30).build();
        final OsMemory mem = OsMemory.simulated(small);
        final long p = mem.reserve(1L << 29);
        final OsOutOfMemoryException e = assertThrows(OsOutOfMemoryException.class, () -> mem.reserve(1L << 30));
        assertEquals(Operation.RESERVE, e.operation());
        mem.free(p, 1L << 29);
        mem.reserve(1L << 30);
    }

    @Test
    void shouldFreePartOfAReservation() {
        final long p = os.reserve(8 * PAGE);
        os.free(p + 2 * PAGE, 2 * PAGE);
        assertEquals(MemState.NONE, os.stateOf(p + 2 * PAGE));
        assertEquals(MemState.RESERVED, os.stateOf(p + 4 * PAGE));
        assertEquals(6 * PAGE, os.stats().reservedBytes());
        assertThrows(IllegalStateException.class, () -> os.free(p, 8 * PAGE), "the hole is not owned any more");
    }

    @Test
    void shouldReportZeroingNeedsFromTheModel() {
        assertFalse(os.needZeroAfterUnused());
        assertTrue(OsMemory.simulated(Simulation.builder().needZeroAfterUnused(true).build()).needZeroAfterUnused());
        assertEquals("simulated", os.port());
        assertEquals(PAGE, os.pageSize());
    }

    @Test
    void shouldValidateSimulationSettings() {
        assertMessage(() -> Simulation.builder().pageSize(3000), "pageSize=3000");
        assertMessage(() -> Simulation.builder().hugePageSize(3L << 20), "hugePageSize=3145728");
        assertMessage(() -> Simulation.builder().commitLimit(-1), "commitLimit=-1");
        assertMessage(() -> Simulation.builder().addressSpaceLimit(0), "addressSpaceLimit=0");
        assertMessage(() -> kernel.failNth(Operation.MAP, 0, 12), "nth=0");
        assertMessage(() -> kernel.failNth(Operation.MAP, -1, 12), "nth must be at least 1: nth=-1");
        assertMessage(() -> kernel.failNth(Operation.MAP, 1, 0), "errno=0");
        assertMessage(() -> kernel.failNth(Operation.MAP, 1, -12), "errno=-12");
        assertMessage(() -> kernel.failNth(Operation.MAP, 1, 4096),
                "errno must be between 1 and 4095 (Linux's MAX_ERRNO): errno=4096");
        assertMessage(() -> Simulation.builder().lockLimit(-1), "lockLimit must not be negative: lockLimit=-1");
        assertMessage(() -> Simulation.builder().pageSize(4L << 20).build(),
                "hugePageSize must be 0 or at least pageSize 4194304: hugePageSize=2097152");
        assertEquals(4L << 20, OsMemory.simulated(Simulation.builder().pageSize(4L << 20).hugePageSize(0).build())
                .pageSize(), "no huge pages at all is fine with any page size");
        assertEquals(0, kernel.pendingFailures(), "no rejected failure was planned");
    }

    @Test
    void shouldRejectNullArgumentsNamingThem() {
        assertNullNamed(() -> kernel.failNth(null, 1, 12), "operation");
        assertNullNamed(() -> kernel.calls(null), "operation");
        assertNullNamed(() -> OsMemory.simulated(null), "simulation");
        assertEquals(0, kernel.pendingFailures(), "the rejected failure was not planned");
        final long p = os.reserve(PAGE);
        os.map(p, PAGE); // and nothing fires later
    }

    @Test
    void shouldCountPendingFailuresUntilTheyFireOrAreCleared() {
        final long p = os.reserve(4 * PAGE);
        kernel.failNth(Operation.MAP, 2, Errno.ENOMEM);
        kernel.failNth(Operation.USED, 1, 22);
        assertEquals(2, kernel.pendingFailures());
        os.map(p, PAGE);
        assertEquals(2, kernel.pendingFailures(), "the second map has not come yet");
        assertThrows(OsOutOfMemoryException.class, () -> os.map(p + PAGE, PAGE));
        assertEquals(1, kernel.pendingFailures());
        kernel.clearFailures();
        assertEquals(0, kernel.pendingFailures());
        os.used(p, PAGE);
    }

    @Test
    void shouldLockReadyPagesCountThemOnceAndRefuseToDropThemUntilUnlocked() {
        final long p = os.reserve(8 * PAGE);
        os.map(p, 8 * PAGE);
        os.used(p, 4 * PAGE);
        os.lock(p, 2 * PAGE);
        os.lock(p, 3 * PAGE); // overlapping a locked page counts it once
        assertEquals(3 * PAGE, os.lockedBytes());
        assertEquals(3 * PAGE, kernel.lockedBytes());
        final OsMemoryStats before = os.stats();

        final IllegalStateException unused = assertThrows(IllegalStateException.class, () -> os.unused(p, 4 * PAGE));
        assertTrue(unused.getMessage().contains("is locked"), unused.getMessage());
        assertThrows(IllegalStateException.class, () -> os.fault(p + 2 * PAGE, PAGE));
        assertThrows(IllegalStateException.class, () -> os.lock(p + 4 * PAGE, PAGE), "Prepared pages cannot be locked");
        assertEquals(before, os.stats());
        assertEquals(0, kernel.calls(Operation.UNUSED) + kernel.calls(Operation.FAULT),
                "refused before any system call");

        os.unlock(p + PAGE, PAGE);
        assertEquals(2 * PAGE, os.lockedBytes());
        os.unlock(p, 4 * PAGE);
        assertEquals(0, os.lockedBytes());
        assertEquals(0, kernel.lockedBytes());
        os.unused(p, 4 * PAGE);
        assertEquals(new OsMemoryStats(0, 8 * PAGE, 0), os.stats());
    }

    @Test
    void shouldUnlockWhatItFrees() {
        final long p = os.reserve(4 * PAGE);
        os.map(p, 4 * PAGE);
        os.used(p, 4 * PAGE);
        os.lock(p, 4 * PAGE);
        os.free(p, 4 * PAGE);
        assertEquals(0, os.lockedBytes());
        assertEquals(0, kernel.lockedBytes());
    }

    @Test
    void shouldRefuseToLockBeyondTheLockLimitNamingRlimitMemlock() {
        final Simulation limited = Simulation.builder().lockLimit(2 * PAGE).build();
        final OsMemory small = OsMemory.simulated(limited);
        final long p = small.reserve(4 * PAGE);
        small.map(p, 4 * PAGE);
        small.used(p, 4 * PAGE);
        small.lock(p, 2 * PAGE);
        final OsMemoryException e = assertThrows(OsMemoryException.class, () -> small.lock(p + 2 * PAGE, PAGE));
        assertEquals(Operation.LOCK, e.operation());
        assertEquals("ENOMEM", e.errnoName());
        assertFalse(e.isOutOfMemory(), "the lock limit is not a shortage of memory");
        assertTrue(e.getMessage().startsWith("mlock(address=0x"), e.getMessage());
        assertTrue(e.getMessage().contains("RLIMIT_MEMLOCK") && e.getMessage().contains("ulimit -l")
                && e.getMessage().contains("now 8192 bytes"), e.getMessage());
        assertEquals(2 * PAGE, small.lockedBytes(), "a refused lock locks nothing");
        small.unlock(p, PAGE);
        small.lock(p + 2 * PAGE, PAGE); // room again
        assertEquals(2 * PAGE, limited.lockedBytes());
    }

    private void apply(final Operation op, final long p) {
        final BiConsumer<Long, Long> call = switch (op) {
            case RESERVE -> (a, n) -> os.reserve(n);
            case ALLOC -> (a, n) -> os.alloc(n);
            case MAP -> os::map;
            case USED -> os::used;
            case UNUSED, FAULT -> (a, n) -> {
                if (op == Operation.UNUSED) {
                    os.unused(a + 2 * PAGE, n);
                } else {
                    os.fault(a + 2 * PAGE, n);
                }
            };
            case FREE -> os::free;
            case LOCK -> os::lock;
            case UNLOCK -> os::unlock;
            case HUGE_PAGE, NO_HUGE_PAGE, HUGE_PAGE_COLLAPSE -> (a, n) -> {
                if (op == Operation.HUGE_PAGE) {
                    os.hugePage(a, n);
                } else if (op == Operation.NO_HUGE_PAGE) {
                    os.noHugePage(a, n);
                } else {
                    os.hugePageCollapse(a, n);
                }
            };
        };
        switch (op) {
            case MAP -> call.accept(p, PAGE);
            case FREE -> call.accept(p, 8 * PAGE);
            case USED, HUGE_PAGE, NO_HUGE_PAGE, HUGE_PAGE_COLLAPSE -> call.accept(p + 4 * PAGE, 4 * PAGE);
            case LOCK, UNLOCK -> call.accept(p + 6 * PAGE, 2 * PAGE);
            case UNUSED, FAULT -> call.accept(p + 4 * PAGE, 2 * PAGE);
            default -> call.accept(0L, PAGE);
        }
    }

    private static void assertNullNamed(final org.junit.jupiter.api.function.Executable call, final String name) {
        final NullPointerException e = assertThrows(NullPointerException.class, call);
        assertEquals(name, e.getMessage());
    }

    private static void assertMessage(final org.junit.jupiter.api.function.Executable call, final String part) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), () -> "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
    }
}
