package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagoda.os.platform.FactFiles;
import dev.pagoda.os.platform.SysFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Facts of the machine the tests run on. */
class PlatformCurrentTest {
    private static final Path HPAGE_PMD_SIZE = Path.of("/", FactFiles.HPAGE_PMD_SIZE);

    @Test
    void shouldCacheTheSnapshot() {
        assertSame(Platform.current(), Platform.current());
    }

    @Test
    void shouldReportPowerOfTwoPageSize() {
        final long pageSize = Platform.current().pageSize();
        assertTrue(pageSize >= 4096, "pageSize=" + pageSize);
        assertEquals(0, pageSize & (pageSize - 1), "pageSize=" + pageSize);
    }

    @Test
    void shouldReportFourKibPagesOnLinuxX86() {
        final Platform platform = Platform.current();
        assumeTrue(platform.os() == OsKind.LINUX && "amd64".equals(platform.arch()));
        assertEquals(4096L, platform.pageSize());
    }

    @Test
    void shouldAgreeWithKernelPageSizeOfSmaps() throws IOException {
        final Path smaps = Path.of("/proc/self/smaps");
        assumeTrue(Files.isReadable(smaps));
        final Matcher matcher = Pattern.compile("(?m)^KernelPageSize:\\s+(\\d+) kB$").matcher(Files.readString(smaps));
        assumeTrue(matcher.find());
        assertEquals(Long.parseLong(matcher.group(1)) * 1024, Platform.current().pageSize());
    }

    @Test
    void shouldReadHugePageSizeOfThisMachine() throws IOException {
        assumeTrue(Files.isReadable(HPAGE_PMD_SIZE));
        final long expected = SysFiles.hugePageSize(Files.readString(HPAGE_PMD_SIZE));
        assertEquals(expected, Platform.current().hugePageSize());
        if ("amd64".equals(Platform.current().arch())) {
            assertEquals(2L << 20, Platform.current().hugePageSize());
        }
    }

    @Test
    void shouldReadThpSettingsOfThisMachine() {
        assumeTrue(Files.isReadable(Path.of("/", FactFiles.THP_ENABLED)));
        final TransparentHugePages thp = Platform.current().thp();
        assertNotEquals(ThpMode.UNKNOWN, thp.enabled());
        assertNotEquals(ThpDefrag.UNKNOWN, thp.defrag());
    }

    @Test
    void shouldReadLinuxFactsOfThisMachine() {
        final Platform platform = Platform.current();
        assumeTrue(platform.os() == OsKind.LINUX);
        assertNotEquals(Overcommit.UNKNOWN, platform.overcommit());
        assertNotEquals(Platform.UNKNOWN_KERNEL, platform.kernelVersion());
        assertTrue(platform.kernelAtLeast(2, 6), platform.kernelVersion());
        assertEquals(Runtime.getRuntime().availableProcessors(), platform.cpuCount());
    }

    @Test
    void shouldReportResidentSetOnLinux() {
        assumeTrue(Platform.current().os() == OsKind.LINUX);
        final OptionalLong rss = Platform.processMemory().rssBytes();
        assertTrue(rss.isPresent());
        assertTrue(rss.getAsLong() > 0, "rss=" + rss.getAsLong());
    }

    @Test
    void shouldDescribeThisMachine() {
        final Platform platform = Platform.current();
        final String report = platform.describe();
        assertTrue(report.contains(platform.os().name()), report);
        assertTrue(report.contains(Long.toString(platform.pageSize())), report);
        assertTrue(platform.toString().contains("pageSize=" + platform.pageSize()), platform.toString());
    }
}
