package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagoda.os.platform.FactFiles;

import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessMemoryTest {
    private static final String SMAPS_ROLLUP = """
            561ed92c5000-7ffc68a07000 ---p 00000000 00:00 0                          [rollup]
            Rss:                1772 kB
            Pss:                 565 kB
            Pss_Anon:            116 kB
            Anonymous:           116 kB
            LazyFree:              0 kB
            AnonHugePages:      4096 kB
            ShmemPmdMapped:        0 kB
            """;

    private static final String STATUS = """
            Name:\tjava
            Umask:\t0022
            State:\tS (sleeping)
            VmPeak:\t 4367136 kB
            VmHWM:\t   51212 kB
            VmRSS:\t   51200 kB
            RssAnon:\t   30000 kB
            Threads:\t19
            """;

    @TempDir
    Path root;

    @Test
    void shouldParseSmapsRollup() {
        final ProcessMemory memory = new FakeRoot(root)
                .write(FactFiles.SMAPS_ROLLUP, SMAPS_ROLLUP)
                .write(FactFiles.STATUS, STATUS)
                .processMemory();
        assertEquals(OptionalLong.of(1772L * 1024), memory.rssBytes());
        assertEquals(OptionalLong.of(4096L * 1024), memory.anonHugePagesBytes());
    }

    @Test
    void shouldFallBackToStatusWhenSmapsRollupIsMissing() {
        final ProcessMemory memory = new FakeRoot(root).write(FactFiles.STATUS, STATUS).processMemory();
        assertEquals(OptionalLong.of(51200L * 1024), memory.rssBytes());
        assertEquals(OptionalLong.empty(), memory.anonHugePagesBytes());
    }

    @Test
    void shouldFallBackToStatusWhenSmapsRollupHasNoRss() {
        final ProcessMemory memory = new FakeRoot(root)
                .write(FactFiles.SMAPS_ROLLUP, "AnonHugePages:      2048 kB\n")
                .write(FactFiles.STATUS, STATUS)
                .processMemory();
        assertEquals(OptionalLong.of(51200L * 1024), memory.rssBytes());
        assertEquals(OptionalLong.of(2048L * 1024), memory.anonHugePagesBytes());
    }

    @Test
    void shouldFallBackToStatusWhenRssIsMalformed() {
        final ProcessMemory memory = new FakeRoot(root)
                .write(FactFiles.SMAPS_ROLLUP, "Rss:   lots kB\nAnonHugePages: 0 kB\n")
                .write(FactFiles.STATUS, STATUS)
                .processMemory();
        assertEquals(OptionalLong.of(51200L * 1024), memory.rssBytes());
        assertEquals(OptionalLong.of(0L), memory.anonHugePagesBytes());
    }

    @Test
    void shouldReportEmptyWhenNothingCanBeRead() {
        final ProcessMemory memory = new FakeRoot(root).processMemory();
        assertEquals(OptionalLong.empty(), memory.rssBytes());
        assertEquals(OptionalLong.empty(), memory.anonHugePagesBytes());
        assertEquals("rss=unknown, anonHugePages=unknown", memory.toString());
    }

    @Test
    void shouldRejectValuesWithoutKibUnitOrNegative() {
        final ProcessMemory memory = new FakeRoot(root)
                .write(FactFiles.SMAPS_ROLLUP, "Rss:   1772 MB\nAnonHugePages: -4 kB\n")
                .write(FactFiles.STATUS, "VmRSS:   12\n")
                .processMemory();
        assertEquals(OptionalLong.empty(), memory.rssBytes());
        assertEquals(OptionalLong.empty(), memory.anonHugePagesBytes());
    }

    @Test
    void shouldMatchWholeKeyOnly() {
        final ProcessMemory memory = new FakeRoot(root)
                .write(FactFiles.SMAPS_ROLLUP, "RssAnon:  10 kB\nRss:  20 kB\n")
                .processMemory();
        assertEquals(OptionalLong.of(20L * 1024), memory.rssBytes());
    }

    @Test
    void shouldReadAfreshOnEveryCall() {
        final FakeRoot fake = new FakeRoot(root).write(FactFiles.SMAPS_ROLLUP, "Rss:  20 kB\n");
        assertEquals(OptionalLong.of(20L * 1024), fake.processMemory().rssBytes());
        fake.write(FactFiles.SMAPS_ROLLUP, "Rss:  40 kB\n");
        assertEquals(OptionalLong.of(40L * 1024), fake.processMemory().rssBytes());
    }

    @Test
    void shouldPrintBytes() {
        assertEquals("rss=2048 bytes, anonHugePages=0 bytes",
                new ProcessMemory(OptionalLong.of(2048), OptionalLong.of(0)).toString());
    }

    @Test
    void shouldRejectNullComponents() {
        assertThrows(NullPointerException.class, () -> new ProcessMemory(null, OptionalLong.empty()));
        assertThrows(NullPointerException.class, () -> new ProcessMemory(OptionalLong.empty(), null));
    }
}
