package dev.pagoda.os.port;

import dev.pagoda.os.MemState;
import dev.pagoda.os.Operation;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryException;
import dev.pagoda.os.OsMemoryStats;
import dev.pagoda.os.OsOutOfMemoryException;
import dev.pagoda.os.ReleaseAdvice;
import dev.pagoda.os.SystemOptions;
import dev.pagoda.os.TestOsMemory;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exact system calls and flags of the Linux port, asserted against a recording fake kernel. */
class LinuxPortTest {
    private static final long PAGE = 4096;
    private static final long HUGE = 2L << 20;
    private static final long BASE = 0x7f00_0000_0000L;
    // PROT_NONE 0x0, PROT_READ|PROT_WRITE 0x3; MAP_PRIVATE|MAP_ANONYMOUS 0x22, |MAP_FIXED 0x32, |MAP_NORESERVE 0x4022
    private static final String RESERVE = "mmap(0x0, %d, 0x0, 0x4022)";
    private static final String NAME = "prctl(PR_SET_VMA_ANON_NAME, 0x%x, %d, \"%s\")";

    private final RecordingSyscalls sys = new RecordingSyscalls().nextAddress(BASE);

    private OsMemory linux(final SystemOptions options) {
        return TestOsMemory.over(new LinuxBackend(sys, PAGE, HUGE, options));
    }

    @Test
    void shouldReserveWithProtNoneNoReserveAndNameTheMapping() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = os.reserve(1L << 20);
        assertEquals(BASE, p);
        assertEquals(List.of(RESERVE.formatted(1L << 20), NAME.formatted(BASE, 1L << 20, "pagoda reserved")),
                sys.take());
    }

    @Test
    void shouldOverReserveAndTrimHeadAndTailForAlignedReservations() {
        sys.nextAddress(BASE + 0x1000);
        final OsMemory os = linux(SystemOptions.defaults());
        final long align = 64L << 20;
        final long p = os.reserveAligned(align, align);
        assertEquals(0, p % align);
        final long head = p - (BASE + 0x1000);
        final long tail = (BASE + 0x1000 + 2 * align) - (p + align);
        assertEquals(List.of(
                RESERVE.formatted(2 * align),
                NAME.formatted(BASE + 0x1000, 2 * align, "pagoda reserved"),
                "munmap(0x%x, %d)".formatted(BASE + 0x1000, head),
                "munmap(0x%x, %d)".formatted(p + align, tail)), sys.take());
        assertEquals(align, os.stats().reservedBytes());
    }

    @Test
    void shouldMapWithFixedReadWriteMapping() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = os.reserve(1L << 20);
        sys.take();
        os.map(p, 1L << 20);
        assertEquals(List.of("mmap(0x%x, %d, 0x3, 0x32)".formatted(p, 1L << 20),
                NAME.formatted(p, 1L << 20, "pagoda heap")), sys.take());
    }

    @Test
    void shouldAdviseNoHugePagesOnMapWhenThpIsDisabled() {
        final OsMemory os = linux(SystemOptions.defaults().withNoHugePagesOnMap(true));
        final long p = os.reserve(1L << 20);
        sys.take();
        os.map(p, 1L << 20);
        assertEquals("madvise(0x%x, %d, 15)".formatted(p, 1L << 20), sys.take().get(2));
    }

    @Test
    void shouldMakeNoSystemCallForUsed() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = os.reserve(PAGE * 4);
        os.map(p, PAGE * 4);
        sys.take();
        os.used(p, PAGE * 4);
        assertEquals(List.of(), sys.take());
    }

    @Test
    void shouldReleaseWithDontNeedByDefaultAndNeedNoZeroing() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = ready(os, PAGE * 4);
        os.unused(p, PAGE * 4);
        assertEquals(List.of("madvise(0x%x, %d, 4)".formatted(p, PAGE * 4)), sys.take());
        assertFalse(os.needZeroAfterUnused());
    }

    @Test
    void shouldReleaseWithFreeWhenAskedAndThenNeedZeroing() {
        final OsMemory os = linux(SystemOptions.defaults().withRelease(ReleaseAdvice.FREE));
        final long p = ready(os, PAGE * 4);
        os.unused(p, PAGE * 4);
        assertEquals(List.of("madvise(0x%x, %d, 8)".formatted(p, PAGE * 4)), sys.take());
        assertTrue(os.needZeroAfterUnused());
    }

    @Test
    void shouldFallBackFromFreeToDontNeedToRemapAndRememberIt() {
        final OsMemory os = linux(SystemOptions.defaults().withRelease(ReleaseAdvice.FREE));
        final long p = ready(os, PAGE * 8);
        sys.failNext("madvise", 22).failNext("madvise", 22);
        os.unused(p, PAGE * 4);
        assertEquals(List.of(
                "madvise(0x%x, %d, 8)".formatted(p, PAGE * 4),
                "madvise(0x%x, %d, 4)".formatted(p, PAGE * 4),
                "mmap(0x%x, %d, 0x3, 0x32)".formatted(p, PAGE * 4),
                NAME.formatted(p, PAGE * 4, "pagoda unused")), sys.take());
        // The chain is remembered: the next release goes straight to the remap.
        os.unused(p + PAGE * 4, PAGE * 4);
        assertEquals(List.of("mmap(0x%x, %d, 0x3, 0x32)".formatted(p + PAGE * 4, PAGE * 4),
                NAME.formatted(p + PAGE * 4, PAGE * 4, "pagoda unused")), sys.take());
        assertEquals(PAGE * 8, os.stats().preparedBytes());
    }

    @Test
    void shouldFaultWithMprotectThenDontNeed() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = ready(os, PAGE * 2);
        os.fault(p, PAGE * 2);
        assertEquals(List.of("mprotect(0x%x, %d, 0x0)".formatted(p, PAGE * 2),
                "madvise(0x%x, %d, 4)".formatted(p, PAGE * 2)), sys.take());
        assertEquals(MemState.RESERVED, os.stateOf(p));
    }

    @Test
    void shouldFreeWithMunmap() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = ready(os, PAGE * 2);
        os.free(p, PAGE * 2);
        assertEquals(List.of("munmap(0x%x, %d)".formatted(p, PAGE * 2)), sys.take());
        assertEquals(new OsMemoryStats(0, 0, 0), os.stats());
    }

    @Test
    void shouldAllocWithPrivateAnonymousReadWriteMapping() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = os.alloc(PAGE * 16);
        assertEquals(List.of("mmap(0x0, %d, 0x3, 0x22)".formatted(PAGE * 16),
                NAME.formatted(p, PAGE * 16, "pagoda alloc")), sys.take());
        assertEquals(PAGE * 16, os.stats().readyBytes());
    }

    @Test
    void shouldRoundHugePageAdviceInwardToHugePageBounds() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = os.reserveAligned(8 * HUGE, HUGE);
        os.map(p, 8 * HUGE);
        sys.take();
        os.hugePage(p + PAGE, 3 * HUGE);
        assertEquals(List.of("madvise(0x%x, %d, 14)".formatted(p + HUGE, 2 * HUGE)), sys.take());
        os.hugePage(p + PAGE, HUGE);
        assertEquals(List.of(), sys.take(), "a range holding no whole huge page gets no advice");
        os.noHugePage(p, HUGE);
        assertEquals(List.of("madvise(0x%x, %d, 15)".formatted(p, HUGE)), sys.take());
        sys.failNext("madvise", 11);
        os.hugePageCollapse(p, 2 * HUGE);
        assertEquals(List.of("madvise(0x%x, %d, 25)".formatted(p, 2 * HUGE)), sys.take(),
                "collapse is best effort: EAGAIN is ignored");
    }

    @Test
    void shouldStopNamingAfterTheKernelSaysEinval() {
        sys.failNext("prctl", 22);
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = os.reserve(PAGE);
        sys.take();
        os.map(p, PAGE);
        assertEquals(List.of("mmap(0x%x, %d, 0x3, 0x32)".formatted(p, PAGE)), sys.take());
    }

    @Test
    void shouldKeepNamingAfterOtherPrctlErrors() {
        sys.failNext("prctl", 1);
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = os.reserve(PAGE);
        sys.take();
        os.map(p, PAGE);
        assertEquals(2, sys.take().size());
    }

    @Test
    void shouldReportEnomemFromMapAndLeaveTheRangeReserved() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = os.reserve(PAGE * 4);
        sys.failNext("mmap", 12);
        final OsOutOfMemoryException e = assertThrows(OsOutOfMemoryException.class, () -> os.map(p, PAGE * 4));
        assertEquals(Operation.MAP, e.operation());
        assertEquals(p, e.address());
        assertEquals(PAGE * 4, e.length());
        assertEquals(12, e.errno());
        assertEquals("ENOMEM", e.errnoName());
        assertTrue(e.getMessage().contains("sysMap"), e.getMessage());
        assertEquals(MemState.RESERVED, os.stateOf(p));
        assertEquals(new OsMemoryStats(PAGE * 4, 0, 0), os.stats());
        os.map(p, PAGE * 4);
        assertEquals(MemState.PREPARED, os.stateOf(p));
    }

    @Test
    void shouldReportMprotectFailureFromFaultAndKeepTheState() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = ready(os, PAGE);
        sys.failNext("mprotect", 22);
        final OsMemoryException e = assertThrows(OsMemoryException.class, () -> os.fault(p, PAGE));
        assertFalse(e.isOutOfMemory());
        assertEquals("EINVAL", e.errnoName());
        assertEquals(MemState.READY, os.stateOf(p));
    }

    @Test
    void shouldGiveBackTheWholeOverReservationWhenTrimmingFails() {
        sys.nextAddress(BASE + PAGE);
        final OsMemory os = linux(SystemOptions.defaults());
        sys.failNext("munmap", 12);
        assertThrows(OsOutOfMemoryException.class, () -> os.reserveAligned(HUGE, HUGE));
        final List<String> calls = sys.take();
        assertEquals("munmap(0x%x, %d)".formatted(BASE + PAGE, 2 * HUGE), calls.get(calls.size() - 1));
        assertEquals(new OsMemoryStats(0, 0, 0), os.stats());
    }

    @Test
    void shouldLockAndUnlockWithMlockAndMunlock() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = ready(os, PAGE * 4);
        os.lock(p, PAGE * 2);
        os.unlock(p, PAGE * 2);
        assertEquals(List.of("mlock(0x%x, %d)".formatted(p, PAGE * 2), "munlock(0x%x, %d)".formatted(p, PAGE * 2)),
                sys.take());
        assertEquals(0, os.lockedBytes());
        assertEquals(new OsMemoryStats(0, 0, PAGE * 4), os.stats());
    }

    @Test
    void shouldExplainALockRefusedByTheLimitWithRlimitMemlockRead() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = ready(os, PAGE * 4);
        for (final int errno : new int[] {12, 1, 11}) { // ENOMEM, EPERM, EAGAIN
            sys.answerSoftLimit(65536);
            sys.failNext("mlock", errno);
            final OsMemoryException e = assertThrows(OsMemoryException.class, () -> os.lock(p, PAGE * 4));
            assertEquals(errno, e.errno());
            assertFalse(e.isOutOfMemory());
            assertTrue(e.getMessage().contains("RLIMIT_MEMLOCK (ulimit -l; now 65536 bytes)"), e.getMessage());
            // RLIMIT_MEMLOCK is resource 8 on Linux
            assertEquals(List.of("mlock(0x%x, %d)".formatted(p, PAGE * 4), "getrlimit(8)"), sys.take());
            assertEquals(0, os.lockedBytes());
        }
        sys.answerSoftLimit(Long.MAX_VALUE);
        sys.failNext("mlock", 12);
        assertTrue(assertThrows(OsMemoryException.class, () -> os.lock(p, PAGE)).getMessage()
                .contains("now unlimited"));
        sys.failNext("mlock", 12).failNext("getrlimit", 22);
        assertTrue(assertThrows(OsMemoryException.class, () -> os.lock(p, PAGE)).getMessage()
                .contains("now unknown here"));
        sys.take();
        sys.failNext("mlock", 22);
        final OsMemoryException other = assertThrows(OsMemoryException.class, () -> os.lock(p, PAGE));
        assertFalse(other.getMessage().contains("RLIMIT_MEMLOCK"), "EINVAL is no refusal by the limit");
        assertEquals(List.of("mlock(0x%x, %d)".formatted(p, PAGE)), sys.take());
    }

    @Test
    void shouldNeverAdviseDontNeedOverLockedPages() {
        final OsMemory os = linux(SystemOptions.defaults());
        final long p = ready(os, PAGE * 4);
        os.lock(p + PAGE, PAGE);
        assertThrows(IllegalStateException.class, () -> os.unused(p, PAGE * 4));
        assertEquals(List.of("mlock(0x%x, %d)".formatted(p + PAGE, PAGE)), sys.take(),
                "refused before madvise: a DONTNEED refused with EINVAL would send unused down its remap fallback");
        os.free(p, PAGE * 4);
        assertEquals(0, os.lockedBytes());
    }

    private long ready(final OsMemory os, final long bytes) {
        final long p = os.reserve(bytes);
        os.map(p, bytes);
        os.used(p, bytes);
        sys.take();
        return p;
    }
}
