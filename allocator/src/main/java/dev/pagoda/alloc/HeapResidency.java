package dev.pagoda.alloc;

import dev.pagoda.os.Platform;

/**
 * How much of a heap's memory is in physical memory now, measured rather than counted: the kernel's view,
 * which {@link PageHeapStats} (the heap's own accounting) cannot give. Measuring costs a {@code mincore} over
 * the heap's mapped ranges and a read of {@code /proc/self/smaps}: milliseconds for a large process, so call
 * it for reports and monitoring, not per allocation.
 *
 * @param mappedBytes     bytes of the heap's address space mapped (Prepared or Ready): grown arena chunks and
 *                        large runs
 * @param residentBytes   bytes of those mappings resident now ({@code mincore})
 * @param hugePageBytes   bytes of the heap's ranges backed by transparent huge pages ({@code AnonHugePages} in
 *                        {@code smaps}); 0 where the OS does not say
 * @param processRssBytes the whole process's resident set, the JVM included; -1 where the OS does not say
 */
public record HeapResidency(long mappedBytes, long residentBytes, long hugePageBytes, long processRssBytes) {
    /** Measures the ranges given as {@code [address, bytes, ...]} pairs in each array. */
    static HeapResidency measure(final long[]... rangeLists) {
        final Platform platform = Platform.current();
        long mapped = 0;
        long resident = 0;
        long huge = 0;
        for (final long[] ranges : rangeLists) {
            for (int i = 0; i < ranges.length; i += 2) {
                mapped += ranges[i + 1];
                resident += platform.residency(ranges[i], ranges[i + 1]).residentPages() * platform.pageSize();
                huge += Platform.hugePageBytes(ranges[i], ranges[i + 1]);
            }
        }
        return new HeapResidency(mapped, resident, huge, Platform.processMemory().rssBytes().orElse(-1));
    }

    /**
     * The share of the heap's resident memory backed by huge pages.
     *
     * @return {@code hugePageBytes / residentBytes}, 0 when nothing is resident
     */
    public double hugePageCoverage() {
        return residentBytes == 0 ? 0 : Math.min(1.0, (double) hugePageBytes / residentBytes);
    }
}
