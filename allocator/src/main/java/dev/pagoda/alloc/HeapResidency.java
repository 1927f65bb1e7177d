package dev.pagoda.alloc;

/**
 * How much of a heap's memory is in physical memory now, measured rather than counted: the kernel's view,
 * which {@link PageHeapStats} (the heap's own accounting) cannot give. Measuring costs a {@code mincore} over
 * each of the heap's mapped ranges and one read of {@code /proc/self/smaps}: milliseconds for a large process,
 * so call it for reports and monitoring, not per allocation.
 *
 * <p>The measurement runs while other threads go on allocating and freeing: it lists the heap's ranges, then
 * asks the kernel about each. A range unmapped in between (a large run freed by another thread, or every range
 * when the heap is closed meanwhile) is no longer the heap's memory: the kernel's {@code mincore} answers
 * {@code ENOMEM} for it, and it counts in none of the figures, neither mapped nor resident nor huge. A range is
 * either measured whole or left out whole: the heap unmaps a large run, or an arena, with one {@code munmap},
 * so no range is ever partly the heap's. The figures are therefore those of the memory the heap still held when
 * the kernel was asked, each range at its own moment. (A freed range whose addresses the kernel has already
 * handed to a new mapping is measured as that mapping: the answer is a snapshot, not a lock.)
 *
 * @param mappedBytes     bytes of the heap's address space mapped (Prepared or Ready): grown arena chunks and
 *                        large runs
 * @param residentBytes   bytes of those mappings resident now ({@code mincore})
 * @param hugePageBytes   bytes of the heap's ranges backed by transparent huge pages ({@code AnonHugePages} in
 *                        {@code smaps}); 0 where the OS does not say
 * @param processRssBytes the whole process's resident set, the JVM included; -1 where the OS does not say
 */
public record HeapResidency(long mappedBytes, long residentBytes, long hugePageBytes, long processRssBytes) {
    /**
     * The share of the heap's resident memory backed by huge pages.
     *
     * @return {@code hugePageBytes / residentBytes}, 0 when nothing is resident
     */
    public double hugePageCoverage() {
        return residentBytes == 0 ? 0 : Math.min(1.0, (double) hugePageBytes / residentBytes);
    }
}
