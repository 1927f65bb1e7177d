package dev.pagoda.alloc;

/**
 * What a heap asks of transparent huge pages (THP) for its arenas. Huge pages cut TLB misses and make first
 * touch cheaper per byte (the kernel zeroes 2 MiB at once), but each of these choices has hurt someone (Go's
 * issues 61718, 63334, 64332): measure before leaving {@link #SYSTEM}. {@link PageHeap#hugePages()} reports the
 * policy in force, which is {@link #SYSTEM} when the system cannot honour the one asked for, and also when the
 * OS's huge pages are larger than 4 MiB: like Go's runtime, a heap then acts as if there were none (only
 * {@link #FORBID} is still applied).
 */
public enum HugePagePolicy {
    /** No advice: the system's THP mode ({@code always}, {@code madvise}, {@code never}) decides. The default. */
    SYSTEM,
    /**
     * Ask for huge pages: every chunk the heap maps is advised {@code MADV_HUGEPAGE} (arenas are aligned to
     * their size, so chunks are huge-page aligned). With THP in {@code madvise} mode this is what turns them on;
     * faults in advised ranges may stall in direct compaction, depending on the {@code defrag} setting.
     */
    PREFER,
    /** Keep huge pages away: every chunk is advised {@code MADV_NOHUGEPAGE}, and khugepaged leaves it alone. */
    FORBID,
    /**
     * No advice at mapping time, but the background scavenger asks the kernel to collapse chunks the program
     * uses densely into huge pages ({@code MADV_COLLAPSE}, Linux 6.1 and later), off every lock and paced like
     * its releases.
     */
    COLLAPSE
}
