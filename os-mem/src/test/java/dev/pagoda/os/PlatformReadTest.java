package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.pagoda.os.platform.FactFiles;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PlatformReadTest {
    @TempDir
    Path root;

    static Stream<Arguments> hugePageSizes() {
        return Stream.of(
                arguments("2097152\n", 2_097_152L),
                arguments("2097152", 2_097_152L),
                arguments("  2097152  \n", 2_097_152L),
                arguments("1073741824\n", 1L << 30),
                arguments("524288\n", 524_288L),
                arguments("3000000\n", 0L),
                arguments("0\n", 0L),
                arguments("-2097152\n", 0L),
                arguments("abc\n", 0L),
                arguments("", 0L),
                arguments("2097152 kB\n", 0L),
                arguments("99999999999999999999\n", 0L));
    }

    @ParameterizedTest
    @MethodSource("hugePageSizes")
    void shouldAcceptOnlyPowerOfTwoHugePageSize(final String text, final long expected) {
        assertEquals(expected, new FakeRoot(root).write(FactFiles.HPAGE_PMD_SIZE, text).platform().hugePageSize());
    }

    @Test
    void shouldReportNoHugePageSizeWhenFileIsMissing() {
        assertEquals(0L, new FakeRoot(root).platform().hugePageSize());
    }

    static Stream<Arguments> overcommitValues() {
        return Stream.of(
                arguments("0\n", Overcommit.HEURISTIC),
                arguments("1\n", Overcommit.ALWAYS),
                arguments("2\n", Overcommit.NEVER),
                arguments(" 2 ", Overcommit.NEVER),
                arguments("3\n", Overcommit.UNKNOWN),
                arguments("-1\n", Overcommit.UNKNOWN),
                arguments("heuristic\n", Overcommit.UNKNOWN),
                arguments("", Overcommit.UNKNOWN));
    }

    @ParameterizedTest
    @MethodSource("overcommitValues")
    void shouldReadOvercommit(final String text, final Overcommit expected) {
        assertEquals(expected, new FakeRoot(root).write(FactFiles.OVERCOMMIT_MEMORY, text).platform().overcommit());
    }

    @Test
    void shouldReportUnknownOvercommitWhenFileIsMissing() {
        assertEquals(Overcommit.UNKNOWN, new FakeRoot(root).platform().overcommit());
    }

    @Test
    void shouldMapOvercommitCodes() {
        for (final Overcommit overcommit : Overcommit.values()) {
            assertEquals(overcommit, Overcommit.fromCode(overcommit.code()));
        }
        assertEquals(Overcommit.UNKNOWN, Overcommit.fromCode(7));
    }

    @Test
    void shouldReadKernelVersion() {
        final Platform platform = new FakeRoot(root).write(FactFiles.OSRELEASE, "6.18.44-fc-v669\n").platform();
        assertEquals("6.18.44-fc-v669", platform.kernelVersion());
        assertTrue(platform.kernelAtLeast(6, 1));
        assertTrue(platform.kernelAtLeast(6, 18));
        assertTrue(platform.kernelAtLeast(5, 99));
        assertTrue(platform.kernelAtLeast(0, 0));
        assertFalse(platform.kernelAtLeast(6, 19));
        assertFalse(platform.kernelAtLeast(7, 0));
    }

    @Test
    void shouldReadDistributionKernelVersion() {
        final Platform platform = new FakeRoot(root)
                .write(FactFiles.OSRELEASE, "3.10.0-1160.el7.x86_64\n").platform();
        assertEquals("3.10.0-1160.el7.x86_64", platform.kernelVersion());
        assertTrue(platform.kernelAtLeast(3, 10));
        assertFalse(platform.kernelAtLeast(3, 11));
        assertFalse(platform.kernelAtLeast(4, 0));
    }

    @Test
    void shouldTreatMajorOnlyKernelVersionAsMinorZero() {
        final Platform platform = new FakeRoot(root).write(FactFiles.OSRELEASE, "7\n").platform();
        assertTrue(platform.kernelAtLeast(7, 0));
        assertFalse(platform.kernelAtLeast(7, 1));
    }

    @Test
    void shouldReportUnknownKernelWhenFileIsMissing() {
        final Platform platform = new FakeRoot(root).platform();
        assertEquals(Platform.UNKNOWN_KERNEL, platform.kernelVersion());
        assertFalse(platform.kernelAtLeast(0, 0));
    }

    @Test
    void shouldReportUnknownKernelWhenFileIsBlank() {
        assertEquals(Platform.UNKNOWN_KERNEL,
                new FakeRoot(root).write(FactFiles.OSRELEASE, " \n").platform().kernelVersion());
    }

    @Test
    void shouldNotCompareUnparsableKernelVersion() {
        final Platform platform = new FakeRoot(root).write(FactFiles.OSRELEASE, "foo-6.1\n").platform();
        assertEquals("foo-6.1", platform.kernelVersion());
        assertFalse(platform.kernelAtLeast(0, 0));
    }

    @Test
    void shouldRejectNegativeKernelVersionArguments() {
        final Platform platform = new FakeRoot(root).write(FactFiles.OSRELEASE, "6.1.0\n").platform();
        final IllegalArgumentException major =
                assertThrows(IllegalArgumentException.class, () -> platform.kernelAtLeast(-1, 0));
        assertEquals("major must not be negative: major=-1", major.getMessage());
        final IllegalArgumentException minor =
                assertThrows(IllegalArgumentException.class, () -> platform.kernelAtLeast(6, -2));
        assertEquals("minor must not be negative: minor=-2", minor.getMessage());
    }

    @Test
    void shouldKeepGivenFacts() {
        final Platform platform = Platform.read(root, OsKind.DARWIN, "aarch64", 16384, 8);
        assertEquals(OsKind.DARWIN, platform.os());
        assertEquals("aarch64", platform.arch());
        assertEquals(16384L, platform.pageSize());
        assertEquals(8, platform.cpuCount());
    }

    @Test
    void shouldReportEverythingUnknownForEmptyTree() {
        final Platform platform = new FakeRoot(root).platform();
        assertEquals(0L, platform.hugePageSize());
        assertEquals(TransparentHugePages.unknown(), platform.thp());
        assertEquals(Overcommit.UNKNOWN, platform.overcommit());
        assertEquals(Platform.UNKNOWN_KERNEL, platform.kernelVersion());
    }

    @Test
    void shouldPrintAllFacts() {
        final Platform platform = new FakeRoot(root)
                .write(FactFiles.HPAGE_PMD_SIZE, "2097152\n")
                .write(FactFiles.THP_ENABLED, "always [madvise] never\n")
                .write(FactFiles.THP_DEFRAG, "always defer [defer+madvise] madvise never\n")
                .write(FactFiles.THP_MAX_PTES_NONE, "511\n")
                .write(FactFiles.OVERCOMMIT_MEMORY, "1\n")
                .write(FactFiles.OSRELEASE, "6.18.44\n")
                .platform();
        assertEquals("Platform[os=LINUX, arch=amd64, kernel=6.18.44, cpus=4, pageSize=4096, hugePageSize=2097152, " +
                "thp=[enabled=madvise, defrag=defer+madvise, max_ptes_none=511], overcommit=ALWAYS]",
                platform.toString());

        final String report = platform.describe();
        assertTrue(report.contains("LINUX amd64"), report);
        assertTrue(report.contains("6.18.44"), report);
        assertTrue(report.contains("4 KiB (4096 bytes)"), report);
        assertTrue(report.contains("2 MiB (2097152 bytes)"), report);
        assertTrue(report.contains("defer+madvise"), report);
        assertTrue(report.contains("511"), report);
        assertTrue(report.contains("always (1)"), report);
        assertTrue(report.contains("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"), report);
        assertEquals(10, report.lines().count(), report);
    }

    @Test
    void shouldDescribeUnknownFacts() {
        final String report = Platform.read(root, OsKind.OTHER, "sparcv9", 0, 1).describe();
        assertTrue(report.contains("OTHER sparcv9"), report);
        assertFalse(report.contains("null"), report);
        assertEquals(7, report.lines().filter(line -> line.contains("unknown")).count(), report);
    }
}
