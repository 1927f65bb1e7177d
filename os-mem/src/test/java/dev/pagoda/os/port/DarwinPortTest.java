package dev.pagoda.os.port;

import dev.pagoda.os.MemState;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryException;
import dev.pagoda.os.OsMemoryStats;
import dev.pagoda.os.TestOsMemory;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exact system calls and flags of the Darwin port, asserted on any OS against a recording fake kernel. */
class DarwinPortTest {
    private static final long PAGE = 16384;
    private static final long BASE = 0x1_0000_0000L;
    // MAP_ANON 0x1000 | MAP_PRIVATE 0x2 = 0x1002, | MAP_FIXED 0x10 = 0x1012
    private final RecordingSyscalls sys = new RecordingSyscalls().nextAddress(BASE);
    private final OsMemory os = TestOsMemory.over(new DarwinBackend(sys, PAGE));

    @Test
    void shouldUseDarwinFlagsForEveryOperation() {
        final long n = PAGE * 4;
        final long p = os.reserve(n);
        os.map(p, n);
        os.used(p, n);
        os.unused(p, n);
        os.used(p, n);
        os.hugePage(p, n);
        os.noHugePage(p, n);
        os.hugePageCollapse(p, n);
        os.fault(p, n);
        os.free(p, n);
        final long q = os.alloc(n);
        assertEquals(List.of(
                "mmap(0x0, %d, 0x0, 0x1002)".formatted(n),
                "mmap(0x%x, %d, 0x3, 0x1012)".formatted(p, n),
                "madvise(0x%x, %d, 8)".formatted(p, n),    // MADV_FREE_REUSE
                "madvise(0x%x, %d, 7)".formatted(p, n),    // MADV_FREE_REUSABLE
                "madvise(0x%x, %d, 8)".formatted(p, n),
                "mmap(0x%x, %d, 0x0, 0x1012)".formatted(p, n),
                "munmap(0x%x, %d)".formatted(p, n),
                "mmap(0x0, %d, 0x3, 0x1002)".formatted(n)), sys.take());
        assertEquals(new OsMemoryStats(0, 0, n), os.stats());
        assertEquals(MemState.READY, os.stateOf(q));
    }

    @Test
    void shouldLockWithMlockAndExplainRefusalsWithDarwinsRlimitMemlock() {
        final long p = os.reserve(PAGE);
        os.map(p, PAGE);
        os.used(p, PAGE);
        sys.take();
        os.lock(p, PAGE);
        os.unlock(p, PAGE);
        sys.answerSoftLimit(1L << 20);
        sys.failNext("mlock", 35); // Darwin's EAGAIN: over the limit
        final OsMemoryException e = assertThrows(OsMemoryException.class, () -> os.lock(p, PAGE));
        assertEquals("EAGAIN", e.errnoName());
        assertTrue(e.getMessage().contains("RLIMIT_MEMLOCK (ulimit -l; now 1048576 bytes)"), e.getMessage());
        assertEquals(List.of(
                "mlock(0x%x, %d)".formatted(p, PAGE),
                "munlock(0x%x, %d)".formatted(p, PAGE),
                "mlock(0x%x, %d)".formatted(p, PAGE),
                "getrlimit(6)"), sys.take()); // RLIMIT_MEMLOCK is 6 on Darwin, 8 on Linux
    }

    @Test
    void shouldAlwaysNeedZeroingAndHaveNoHugePages() {
        assertTrue(os.needZeroAfterUnused());
        assertEquals(0, os.hugePageSize());
        assertEquals(PAGE, os.pageSize());
        assertEquals("darwin", os.port());
    }

    @Test
    void shouldNameDarwinErrnos() {
        final long p = os.reserve(PAGE);
        sys.failNext("mmap", 35);
        final OsMemoryException e = org.junit.jupiter.api.Assertions.assertThrows(OsMemoryException.class,
                () -> os.map(p, PAGE));
        assertEquals("EAGAIN", e.errnoName());
    }
}
