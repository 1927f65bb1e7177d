package dev.pagoda.os.platform;

import dev.pagoda.os.FakeRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code AnonHugePages} of address ranges from a fake {@code /proc/self/smaps}, one range or several at once. */
class SmapsTest {
    /** Three mappings: 4 MiB with 2 MiB huge, 8 MiB with 8 MiB huge, 2 MiB with none. */
    private static final String SMAPS = """
            7f0000000000-7f0000400000 rw-p 00000000 00:00 0                          [anon:pagoda heap]
            Size:               4096 kB
            AnonHugePages:      2048 kB
            7f0000400000-7f0000c00000 rw-p 00000000 00:00 0
            Size:               8192 kB
            AnonHugePages:      8192 kB
            7f0001000000-7f0001200000 ---p 00000000 00:00 0
            Size:               2048 kB
            AnonHugePages:         0 kB
            """;
    private static final long A = 0x7f0000000000L;
    private static final long B = 0x7f0000400000L;
    private static final long MIB = 1L << 20;

    @TempDir
    Path root;

    @Test
    void shouldSumSeveralRangesFromOneReadAsTheSingleRangeCallsDo() {
        new FakeRoot(root).write(Smaps.SMAPS, SMAPS);
        final long[] ranges = {A, 4 * MIB, B + 2 * MIB, 2 * MIB, 0x7f0001000000L, 2 * MIB};
        long sum = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            sum += Smaps.anonHugePages(root, ranges[i], ranges[i + 1]);
        }
        assertEquals(2 * MIB + 2 * MIB, sum, "the whole first mapping, a quarter of the second");
        assertEquals(sum, Smaps.anonHugePages(root, ranges));
        assertEquals(0, Smaps.anonHugePages(root, new long[] {0x7f0002000000L, 4 * MIB}), "nothing mapped there");
        assertEquals(0, Smaps.anonHugePages(root.resolve("missing"), ranges), "no smaps, no huge pages");
    }
}
