package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagoda.os.libc.Errno;
import dev.pagoda.os.platform.Mincore;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.BitSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResidencyTest {
    private static final long KIB = 1024;

    private static Platform platform;
    private static long pageSize;

    @BeforeAll
    static void requireKnownSystem() {
        platform = Platform.current();
        assumeTrue(platform.os() != OsKind.OTHER);
        pageSize = platform.pageSize();
    }

    @Test
    void shouldReportTouchedPagesResident() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment segment = arena.allocate(64 * KIB, pageSize);
            touchEvery(segment, 1);
            final Residency residency = platform.residency(segment.address(), segment.byteSize());
            assertEquals(64 * KIB / pageSize, residency.pages());
            assertEquals(residency.pages(), residency.residentPages());
            assertTrue(residency.isFullyResident());
            assertEquals(0, residency.nonResidentPages());
            assertEquals(1.0, residency.residentFraction());

            final BitSet map = platform.residencyMap(segment.address(), segment.byteSize());
            assertEquals(residency.pages(), map.cardinality());
            assertEquals(residency.pages(), map.length());
        }
    }

    @Test
    void shouldReportTouchedPagesOfPartlyTouchedRangeResident() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment segment = arena.allocate(1024 * KIB, pageSize);
            touchEvery(segment, 4);
            final long pages = segment.byteSize() / pageSize;
            final Residency residency = platform.residency(segment);
            assertEquals(pages, residency.pages());
            assertTrue(residency.residentPages() >= pages / 4, residency.toString());
            assertTrue(residency.residentPages() <= pages, residency.toString());

            final BitSet map = platform.residencyMap(segment.address(), segment.byteSize());
            for (int page = 0; page < pages; page += 4) {
                assertTrue(map.get(page), "page " + page);
            }
            assertTrue(map.length() <= pages);
        }
    }

    @Test
    void shouldCountPartialLastPage() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment segment = arena.allocate(4 * pageSize, pageSize);
            touchEvery(segment, 1);
            assertEquals(2, platform.residency(segment.address(), pageSize + 1).pages());
            assertEquals(1, platform.residency(segment.address(), 1).pages());
            assertEquals(1, platform.residency(segment.address(), pageSize).pages());
        }
    }

    @Test
    void shouldQueryRangesLongerThanOneWindow() {
        final long bytes = (Mincore.WINDOW_PAGES + 3) * pageSize;
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment segment = arena.allocate(bytes, pageSize);
            touchEvery(segment, 1);
            final Residency residency = platform.residency(segment);
            assertEquals(Mincore.WINDOW_PAGES + 3, residency.pages());
            assertEquals(residency.pages(), residency.residentPages());
            assertEquals(Mincore.WINDOW_PAGES + 3, platform.residencyMap(segment.address(), bytes).cardinality());
        }
    }

    @Test
    void shouldRejectUnalignedAddress() {
        try (Arena arena = Arena.ofConfined()) {
            final long address = arena.allocate(2 * pageSize, pageSize).address() + 8;
            final IllegalArgumentException ex =
                    assertThrows(IllegalArgumentException.class, () -> platform.residency(address, pageSize));
            assertEquals("address must be a multiple of the page size " + pageSize + ": address=0x" +
                    Long.toHexString(address), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> platform.residencyMap(address, pageSize));
        }
    }

    @Test
    void shouldRejectNonPositiveLength() {
        final IllegalArgumentException zero =
                assertThrows(IllegalArgumentException.class, () -> platform.residency(0, 0));
        assertEquals("bytes must be positive: bytes=0", zero.getMessage());
        final IllegalArgumentException negative =
                assertThrows(IllegalArgumentException.class, () -> platform.residencyMap(0, -4096));
        assertEquals("bytes must be positive: bytes=-4096", negative.getMessage());
    }

    @Test
    void shouldRejectRangeWrappingAroundAddressSpace() {
        final long address = -pageSize;
        final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> platform.residency(address, 2 * pageSize));
        assertTrue(ex.getMessage().contains("address=0x" + Long.toHexString(address)), ex.getMessage());
        assertTrue(ex.getMessage().contains("bytes=" + 2 * pageSize), ex.getMessage());
    }

    @Test
    void shouldRejectMapOfMoreThanIntMaxPages() {
        final long bytes = ((long) Integer.MAX_VALUE + 1) * pageSize;
        final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> platform.residencyMap(0, bytes));
        assertTrue(ex.getMessage().contains("bytes=" + bytes), ex.getMessage());
    }

    @Test
    void shouldRejectHeapAndEmptySegments() {
        final MemorySegment heap = MemorySegment.ofArray(new byte[8192]);
        final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> platform.residency(heap));
        assertTrue(ex.getMessage().startsWith("segment must be native: segment="), ex.getMessage());
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment empty = arena.allocate(pageSize, pageSize).asSlice(0, 0);
            assertThrows(IllegalArgumentException.class, () -> platform.residency(empty));
        }
    }

    @Test
    void shouldReportUnmappedRangeAsNativeCallFailure() {
        final NativeCallException ex =
                assertThrows(NativeCallException.class, () -> platform.residency(0, pageSize));
        assertEquals("mincore", ex.call());
        assertEquals(Errno.ENOMEM, ex.errno());
        assertEquals("ENOMEM", ex.errnoName());
        assertEquals("mincore(address=0x0, bytes=" + pageSize + ") failed: ENOMEM (errno 12)", ex.getMessage());

        final NativeCallException mapEx =
                assertThrows(NativeCallException.class, () -> platform.residencyMap(0, pageSize));
        assertEquals("ENOMEM", mapEx.errnoName());
    }

    @Test
    void shouldRefuseResidencyWhenPageSizeIsUnknown(@TempDir final Path root) {
        final Platform unknown = Platform.read(root, OsKind.OTHER, "x", 0, 1);
        assertThrows(IllegalStateException.class, () -> unknown.residency(0, 4096));
    }

    @Test
    void shouldValidateResidencyCounts() {
        assertThrows(IllegalArgumentException.class, () -> new Residency(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Residency(1, 2));
        final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> new Residency(4, -1));
        assertEquals("residentPages must be in [0, pages]: residentPages=-1, pages=4", ex.getMessage());
        final Residency empty = new Residency(0, 0);
        assertEquals(0.0, empty.residentFraction());
        assertTrue(empty.isFullyResident());
        assertFalse(new Residency(4, 1).isFullyResident());
        assertEquals(0.25, new Residency(4, 1).residentFraction());
        assertEquals(3, new Residency(4, 1).nonResidentPages());
    }

    private static void touchEvery(final MemorySegment segment, final int pagesStep) {
        for (long offset = 0; offset < segment.byteSize(); offset += pagesStep * pageSize) {
            segment.set(ValueLayout.JAVA_BYTE, offset, (byte) 1);
        }
    }
}
