package dev.pagoda.verify;

import dev.pagoda.os.MemState;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryStats;
import dev.pagoda.os.OsOutOfMemoryException;
import dev.pagoda.os.Platform;
import dev.pagoda.os.ReleaseAdvice;
import dev.pagoda.os.Residency;
import dev.pagoda.os.SystemOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Linux port against the real kernel: memory arrives and leaves the resident set when the state machine
 * says it does, as seen by {@code mincore}, {@code /proc/self/maps} and {@code /proc/self/smaps_rollup} —
 * never by touching memory that must not be touched.
 */
@EnabledOnOs(OS.LINUX)
class SystemOsMemoryTest {
    private static final long MIB = 1L << 20;
    private static final long PAGE = Platform.current().pageSize();

    private final OsMemory os = OsMemory.system();
    private long base;
    private long length;

    @AfterEach
    void freeWhatIsLeft() {
        for (long chunk = base; chunk < base + length; chunk += MIB) {
            final long n = Math.min(MIB, base + length - chunk);
            final long unowned = os.bytesIn(chunk, n, MemState.NONE);
            if (unowned == n) {
                continue;
            }
            if (unowned == 0) {
                os.free(chunk, n);
                continue;
            }
            for (long a = chunk; a < chunk + n; a += PAGE) {
                if (os.stateOf(a) != MemState.NONE) {
                    os.free(a, PAGE);
                }
            }
        }
        assertEquals(new OsMemoryStats(0, 0, 0), os.stats());
    }

    @Test
    void shouldReserve64GiBWithoutRaisingRss() {
        length = 64L << 30;
        base = os.reserve(length);
        // The range's own contribution to RSS, exactly (mincore), at both ends and in the middle.
        assertEquals(0, resident(base, 64 * MIB));
        assertEquals(0, resident(base + length / 2, 64 * MIB));
        assertEquals(0, resident(base + length - 64 * MIB, 64 * MIB));
        final ProcMaps.Mapping m = ProcMaps.read().at(base);
        assertNotNull(m);
        assertTrue(m.inaccessible(), m.perms());
        assertEquals(length, os.stats().reservedBytes());
    }

    @Test
    void shouldRaiseRssWhenTouchedAndDropItWhenUnusedAndReadZerosAfterwards() {
        length = 64 * MIB;
        base = os.reserve(length);
        os.map(base, length);
        os.used(base, length);
        assertEquals(0, resident(base, length), "mapped and Ready but untouched: nothing resident yet");
        fill(base, length, (byte) 0x5A);
        assertEquals(length, resident(base, length), "touching 64 MiB makes all of it resident");
        assertEquals(length, os.stats().readyBytes());

        os.unused(base, length);
        assertEquals(0, resident(base, length), "MADV_DONTNEED drops every page at once");
        assertEquals(new OsMemoryStats(0, length, 0), os.stats());
        assertFalse(os.needZeroAfterUnused());

        os.used(base, length);
        assertAllZero(base, length);
    }

    @Test
    void shouldMakeFaultedMemoryInaccessibleAndNonResident() {
        length = 4 * MIB;
        base = os.reserve(length);
        os.map(base, length);
        os.used(base, length);
        fill(base, length, (byte) 1);
        os.fault(base + MIB, 2 * MIB);
        assertEquals(0, Platform.current().residency(base + MIB, 2 * MIB).residentPages());
        assertTrue(Platform.current().residency(base, MIB).isFullyResident());
        final ProcMaps maps = ProcMaps.read();
        assertTrue(maps.at(base + MIB).inaccessible(), maps.at(base + MIB).perms());
        assertTrue(maps.at(base + 3 * MIB - PAGE).inaccessible());
        assertTrue(maps.at(base).readWrite());
        assertEquals(new OsMemoryStats(2 * MIB, 0, 2 * MIB), os.stats());
        // Mapping it again makes it usable, and it reads as zeros.
        os.map(base + MIB, 2 * MIB);
        os.used(base + MIB, 2 * MIB);
        assertAllZero(base + MIB, 2 * MIB);
    }

    @Test
    void shouldRemoveTheMappingOnFree() {
        final long p = os.reserve(8 * MIB);
        os.map(p, 4 * MIB);
        os.free(p, 8 * MIB);
        // Another thread of the JVM (the scavenger, a GC, a new thread stack) may mmap the freed range at once,
        // so a mapping there is fine as long as it is not one of ours: [p, p + 4 MiB) rw, [p + 4 MiB, p + 8 MiB).
        final ProcMaps.Mapping low = ProcMaps.read().at(p);
        assertTrue(low == null || low.start() != p || low.end() != p + 4 * MIB, () -> "still mapped: " + low);
        final ProcMaps.Mapping high = ProcMaps.read().at(p + 8 * MIB - PAGE);
        assertTrue(high == null || high.start() != p + 4 * MIB || high.end() != p + 8 * MIB,
                () -> "still reserved: " + high);
        assertEquals(MemState.NONE, os.stateOf(p));
    }

    @Test
    void shouldAllocZeroedReadyMemory() {
        length = 2 * MIB;
        base = os.alloc(length);
        assertAllZero(base, length);
        assertTrue(ProcMaps.read().at(base).readWrite());
        assertEquals(length, os.stats().readyBytes());
    }

    @Test
    void shouldAlignReservations() {
        length = 64 * MIB;
        base = os.reserveAligned(length, 64 * MIB);
        assertEquals(0, base & (64 * MIB - 1));
        final ProcMaps.Mapping m = ProcMaps.read().at(base);
        assertEquals(base, m.start(), "the unaligned head was given back");
    }

    @Test
    void shouldSetAndClearTheHugePageFlagsOfTheMapping() {
        length = 8 * MIB;
        base = os.reserveAligned(length, 2 * MIB);
        os.map(base, length);
        os.hugePage(base, 4 * MIB);
        assertTrue(ProcMaps.vmFlags(base).contains("hg"), () -> ProcMaps.vmFlags(base).toString());
        assertFalse(ProcMaps.vmFlags(base + 4 * MIB).contains("hg"));
        os.noHugePage(base + 4 * MIB, 4 * MIB);
        assertTrue(ProcMaps.vmFlags(base + 4 * MIB).contains("nh"));
        os.used(base, 2 * MIB);
        fill(base, 2 * MIB, (byte) 7);
        os.hugePageCollapse(base, 2 * MIB); // best effort; must not throw whatever the kernel says
        assertEquals(new OsMemoryStats(0, 6 * MIB, 2 * MIB), os.stats());
    }

    @Test
    void shouldAdviseNoHugePagesOnEveryMapWhenAsked() {
        final OsMemory noThp = OsMemory.system(SystemOptions.defaults().withNoHugePagesOnMap(true));
        final long p = noThp.reserve(4 * MIB);
        noThp.map(p, 4 * MIB);
        assertTrue(ProcMaps.vmFlags(p).contains("nh"));
        noThp.free(p, 4 * MIB);
    }

    @Test
    void shouldReleaseWithMadvFreeWhenAskedAndDemandZeroing() {
        final OsMemory lazy = OsMemory.system(SystemOptions.defaults().withRelease(ReleaseAdvice.FREE));
        final long p = lazy.reserve(4 * MIB);
        lazy.map(p, 4 * MIB);
        lazy.used(p, 4 * MIB);
        fill(p, 4 * MIB, (byte) 3);
        lazy.unused(p, 4 * MIB);
        assertTrue(lazy.needZeroAfterUnused());
        assertEquals(new OsMemoryStats(0, 4 * MIB, 0), lazy.stats());
        lazy.free(p, 4 * MIB);
    }

    @Test
    void shouldReportEnomemForAnImpossibleReservationAndStayConsistent() {
        final OsOutOfMemoryException e = assertThrows(OsOutOfMemoryException.class, () -> os.reserve(1L << 62));
        assertEquals(12, e.errno());
        assertEquals("ENOMEM", e.errnoName());
        assertEquals(new OsMemoryStats(0, 0, 0), os.stats());
        length = MIB;
        base = os.reserve(length);
        assertEquals(MemState.RESERVED, os.stateOf(base));
    }

    @Test
    void shouldNameTheMappingWhereTheKernelSupportsIt() {
        length = MIB;
        base = os.reserve(length);
        final String name = ProcMaps.read().at(base).name();
        assertTrue(name.isEmpty() || name.equals("[anon:pagoda reserved]"), name);
    }

    /**
     * The bytes of {@code [address, address + bytes)} resident in RAM (mincore): the range's exact share of RSS.
     * The process's total RSS is too noisy for assertions in a test JVM (GC, other tests); the probe shows it.
     */
    private static long resident(final long address, final long bytes) {
        return Platform.current().residency(address, bytes).residentPages() * PAGE;
    }

    @SuppressWarnings("restricted")
    private static MemorySegment segment(final long address, final long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    private static void fill(final long address, final long bytes, final byte value) {
        segment(address, bytes).fill(value);
    }

    private static void assertAllZero(final long address, final long bytes) {
        final MemorySegment s = segment(address, bytes);
        for (long off = 0; off < bytes; off += Long.BYTES) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, off) != 0) {
                throw new AssertionError("non-zero byte near offset " + off + " of " + bytes);
            }
        }
    }

    @Test
    void shouldSeeResidencyOfAPartlyTouchedRange() {
        length = 16 * PAGE;
        base = os.reserve(length);
        os.map(base, length);
        os.used(base, length);
        for (int i = 0; i < 16; i += 2) {
            segment(base + i * PAGE, PAGE).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        }
        final Residency r = Platform.current().residency(base, length);
        assertEquals(16, r.pages());
        assertEquals(8, r.residentPages());
    }
}
