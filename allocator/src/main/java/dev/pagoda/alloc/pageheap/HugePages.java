package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.HugePagePolicy;
import dev.pagoda.alloc.HugePageReport;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.Platform;
import dev.pagoda.os.TransparentHugePages;

import java.util.Objects;

/**
 * How a heap decides and applies its huge-page policy: which {@link HugePagePolicy} can be in force on this system
 * and why ({@link #resolve}), and the advice each newly mapped range gets ({@link #advise}). The decision is
 * reported to users as a {@link HugePageReport}.
 */
public final class HugePages {
    /**
     * The largest huge page a heap acts on, 4 MiB: Go's {@code maxPhysHugePageSize} (its page allocator's chunk).
     * Larger huge pages (32 MiB on arm64 kernels with 16 KiB pages, 512 MiB with 64 KiB pages) are treated as
     * none, as Go's runtime treats them: no {@code MADV_HUGEPAGE}, no {@code MADV_COLLAPSE}, and no protection of
     * huge pages from the scavenger, which could not keep a 512 MiB page whole anyway.
     */
    public static final long MAX_HUGE_PAGE_SIZE = 4L << 20;

    private HugePages() {
    }

    /**
     * Advises a newly mapped range as the policy in force asks: MADV_HUGEPAGE, MADV_NOHUGEPAGE or nothing.
     *
     * @param report  the heap's policy
     * @param os      the OS layer
     * @param address the range's start
     * @param bytes   the range's length
     */
    public static void advise(final HugePageReport report, final OsMemory os, final long address, final long bytes) {
        final HugePagePolicy inForce = report.inForce();
        if (inForce == HugePagePolicy.PREFER) {
            os.hugePage(address, bytes);
        } else if (inForce == HugePagePolicy.FORBID) {
            os.noHugePage(address, bytes);
        }
    }

    /**
     * Decides the policy in force for a heap on {@code os} that asks for {@code requested}.
     *
     * @param os        the OS layer
     * @param requested the policy asked for
     * @return the report
     */
    public static HugePageReport resolve(final OsMemory os, final HugePagePolicy requested) {
        Objects.requireNonNull(requested, "hugePages");
        final boolean inPlay = requested == HugePagePolicy.PREFER || requested == HugePagePolicy.COLLAPSE;
        final long hugePageSize = os.hugePageSize();
        if (hugePageSize == 0) {
            return new HugePageReport(requested, HugePagePolicy.SYSTEM, false,
                    "the " + os.port() + " OS layer has no transparent huge pages (huge page size 0)");
        }
        if (hugePageSize > MAX_HUGE_PAGE_SIZE) {
            // Go's mallocinit sets physHugePageSize to 0 above maxPhysHugePageSize; sysNoHugePage still advises.
            final String size = "the OS's huge pages are " + (hugePageSize >> 20) + " MiB, above the "
                    + (MAX_HUGE_PAGE_SIZE >> 20) + " MiB a heap acts on (as Go's runtime): ";
            return requested == HugePagePolicy.FORBID
                    ? new HugePageReport(requested, requested, false,
                            size + "no huge-page handling, but every chunk is still advised MADV_NOHUGEPAGE")
                    : new HugePageReport(requested, HugePagePolicy.SYSTEM, false,
                            size + "the heap works as if there were none (no MADV_HUGEPAGE, no MADV_COLLAPSE, and "
                                    + "the scavenger does not keep huge pages whole)");
        }
        if (!"linux".equals(os.port())) {
            return new HugePageReport(requested, requested, inPlay,
                    "the " + os.port() + " OS layer applies the policy as asked");
        }
        final Platform platform = Platform.current();
        final TransparentHugePages thp = platform.thp();
        final String mode = "THP is '" + thp.enabled().token() + "'";
        return switch (requested) {
            case SYSTEM -> new HugePageReport(requested, requested, thp.hugePagesByDefault(),
                    mode + " on this system, and the kernel decides");
            case PREFER -> thp.madviseHugePagesWork()
                    ? new HugePageReport(requested, requested, true, mode + " (defrag '" + thp.defrag().token()
                            + "'): every chunk is advised MADV_HUGEPAGE")
                    : new HugePageReport(requested, HugePagePolicy.SYSTEM, false,
                            mode + " on this system: MADV_HUGEPAGE would have no effect");
            case FORBID -> new HugePageReport(requested, requested, false,
                    mode + ": every chunk is advised MADV_NOHUGEPAGE");
            case COLLAPSE -> platform.kernelAtLeast(6, 1)
                    ? new HugePageReport(requested, requested, true, "Linux " + platform.kernelVersion()
                            + " has MADV_COLLAPSE: the scavenger collapses densely used chunks (" + mode + ")")
                    : new HugePageReport(requested, HugePagePolicy.SYSTEM, thp.hugePagesByDefault(),
                            "MADV_COLLAPSE needs Linux 6.1, this kernel is " + platform.kernelVersion());
        };
    }
}
