package dev.pagoda.alloc.monitor;

import dev.pagoda.alloc.HeapResidency;
import dev.pagoda.os.NativeCallException;
import dev.pagoda.os.Platform;

import java.util.Arrays;

/**
 * Measures a heap's residency: {@code mincore} over each of its mapped ranges and one read of {@code smaps} for the
 * huge pages, reported as a {@link HeapResidency}.
 */
public final class ResidencyMeter {
    private ResidencyMeter() {
    }

    /**
     * Measures the ranges given as {@code [address, bytes, ...]} pairs in each array, leaving out those unmapped
     * since they were listed (see {@link HeapResidency} for what the figures mean).
     *
     * @param rangeLists arrays of {@code [address, bytes, ...]} pairs
     * @return the measurement
     */
    public static HeapResidency measure(final long[]... rangeLists) {
        final Platform platform = Platform.current();
        int total = 0;
        for (final long[] ranges : rangeLists) {
            total += ranges.length;
        }
        final long[] measured = new long[total];
        int n = 0;
        long mapped = 0;
        long resident = 0;
        for (final long[] ranges : rangeLists) {
            for (int i = 0; i < ranges.length; i += 2) {
                final long residentPages = residentPages(platform, ranges[i], ranges[i + 1]);
                if (residentPages < 0) {
                    continue; // unmapped meanwhile: not the heap's any more
                }
                mapped += ranges[i + 1];
                resident += residentPages * platform.pageSize();
                measured[n++] = ranges[i];
                measured[n++] = ranges[i + 1];
            }
        }
        final long huge = Platform.hugePageBytes(Arrays.copyOf(measured, n));
        return new HeapResidency(mapped, resident, huge, Platform.processMemory().rssBytes().orElse(-1));
    }

    /** The resident pages of a range, or -1 if {@code mincore} says (with {@code ENOMEM}) it is not mapped. */
    private static long residentPages(final Platform platform, final long address, final long bytes) {
        try {
            return platform.residency(address, bytes).residentPages();
        } catch (final NativeCallException e) {
            if ("ENOMEM".equals(e.errnoName())) {
                return -1;
            }
            throw e;
        }
    }
}
