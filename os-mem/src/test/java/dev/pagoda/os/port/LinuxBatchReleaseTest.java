package dev.pagoda.os.port;

import dev.pagoda.os.MemState;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryException;
import dev.pagoda.os.SystemOptions;
import dev.pagoda.os.TestOsMemory;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The Linux port's batch release: one {@code process_madvise}, and its fallbacks, against a recording fake. */
class LinuxBatchReleaseTest {
    private static final long PAGE = 4096;
    private static final long BASE = 0x7f00_0000_0000L;

    private final RecordingSyscalls sys = new RecordingSyscalls().nextAddress(BASE);
    private final OsMemory os = TestOsMemory.over(new LinuxBackend(sys, PAGE, 2L << 20, SystemOptions.defaults()));
    private final long p = ready(8 * PAGE);
    private final long[] addresses = {p, p + 2 * PAGE, p + 5 * PAGE};
    private final long[] lengths = {PAGE, 2 * PAGE, PAGE};

    private long ready(final long bytes) {
        final long at = os.reserve(bytes);
        os.map(at, bytes);
        os.used(at, bytes);
        sys.take();
        return at;
    }

    private static String batch(final long... startAndLength) {
        final StringBuilder sb = new StringBuilder("process_madvise([");
        for (int i = 0; i < startAndLength.length; i += 2) {
            sb.append(i == 0 ? "" : ", ").append(RecordingSyscalls.hex(startAndLength[i])).append('+')
                    .append(startAndLength[i + 1]);
        }
        return sb.append("], 4)").toString();
    }

    private static String madvise(final long address, final long length) {
        return "madvise(%s, %d, 4)".formatted(RecordingSyscalls.hex(address), length);
    }

    @Test
    void shouldReleaseABatchInOneProcessMadvise() {
        os.unused(addresses, lengths, 3);
        assertEquals(List.of(batch(p, PAGE, p + 2 * PAGE, 2 * PAGE, p + 5 * PAGE, PAGE)), sys.take());
        assertEquals(4 * PAGE, os.stats().preparedBytes());
    }

    @Test
    void shouldUseOneMadviseForABatchOfOne() {
        os.unused(new long[] {p}, new long[] {PAGE}, 1);
        assertEquals(List.of(madvise(p, PAGE)), sys.take());
    }

    @Test
    void shouldFallBackToMadviseAndStopBatchingWhenTheKernelRefusesTheAdvice() {
        sys.answerProcessMadvise(-22); // EINVAL: a kernel before 6.13 takes no MADV_DONTNEED here
        os.unused(addresses, lengths, 3);
        assertEquals(List.of(batch(p, PAGE, p + 2 * PAGE, 2 * PAGE, p + 5 * PAGE, PAGE),
                madvise(p, PAGE), madvise(p + 2 * PAGE, 2 * PAGE), madvise(p + 5 * PAGE, PAGE)), sys.take());
        os.unused(new long[] {p + 4 * PAGE, p + 7 * PAGE}, new long[] {PAGE, PAGE}, 2);
        assertEquals(List.of(madvise(p + 4 * PAGE, PAGE), madvise(p + 7 * PAGE, PAGE)), sys.take(),
                "batching is off for good");
    }

    @Test
    void shouldFinishAShortBatchRangeByRangeAndKeepBatching() {
        sys.answerProcessMadvise(2 * PAGE); // range 0 and half of range 1, then the kernel stopped
        os.unused(addresses, lengths, 3);
        assertEquals(List.of(batch(p, PAGE, p + 2 * PAGE, 2 * PAGE, p + 5 * PAGE, PAGE),
                madvise(p + 2 * PAGE, 2 * PAGE), madvise(p + 5 * PAGE, PAGE)), sys.take());
        os.unused(new long[] {p + 4 * PAGE, p + 7 * PAGE}, new long[] {PAGE, PAGE}, 2);
        assertEquals(List.of(batch(p + 4 * PAGE, PAGE, p + 7 * PAGE, PAGE)), sys.take());
    }

    @Test
    void shouldReportTheRangeTheKernelRefuses() {
        sys.answerProcessMadvise(-12).failNext("madvise", 12).failNext("mmap", 12); // ENOMEM for range 0
        final OsMemoryException e = assertThrows(OsMemoryException.class, () -> os.unused(addresses, lengths, 3));
        assertEquals(p, e.address());
        for (final long a : addresses) {
            assertEquals(MemState.READY, os.stateOf(a));
        }
        assertEquals(0, os.stats().preparedBytes());
    }
}
