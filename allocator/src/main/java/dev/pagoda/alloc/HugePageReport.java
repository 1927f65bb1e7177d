package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;
import dev.pagoda.os.Platform;
import dev.pagoda.os.TransparentHugePages;

import java.util.Objects;

/**
 * The huge-page policy a heap asked for, the one in force, and why they differ when they do.
 *
 * @param requested       the policy the heap was built with
 * @param inForce         the policy applied: {@code requested}, or {@link HugePagePolicy#SYSTEM} when the system
 *                        cannot honour it
 * @param hugePagesInPlay whether the heap's memory is expected to be backed by huge pages, so the scavenger
 *                        never splits a huge page that is mostly in use: {@link HugePagePolicy#PREFER} or
 *                        {@link HugePagePolicy#COLLAPSE} in force, or {@link HugePagePolicy#SYSTEM} under THP
 *                        {@code always}
 * @param reason          one sentence on why this policy is in force, naming the system facts it rests on
 */
public record HugePageReport(HugePagePolicy requested, HugePagePolicy inForce, boolean hugePagesInPlay,
                             String reason) {
    /**
     * Checks the components.
     *
     * @throws NullPointerException if a component is null
     */
    public HugePageReport {
        Objects.requireNonNull(requested, "requested");
        Objects.requireNonNull(inForce, "inForce");
        Objects.requireNonNull(reason, "reason");
    }

    /** Advises a newly mapped range as the policy in force asks: MADV_HUGEPAGE, MADV_NOHUGEPAGE or nothing. */
    void advise(final OsMemory os, final long address, final long bytes) {
        if (inForce == HugePagePolicy.PREFER) {
            os.hugePage(address, bytes);
        } else if (inForce == HugePagePolicy.FORBID) {
            os.noHugePage(address, bytes);
        }
    }

    /** Decides the policy in force for a heap on {@code os} that asks for {@code requested}. */
    static HugePageReport resolve(final OsMemory os, final HugePagePolicy requested) {
        Objects.requireNonNull(requested, "hugePages");
        final boolean inPlay = requested == HugePagePolicy.PREFER || requested == HugePagePolicy.COLLAPSE;
        if (os.hugePageSize() == 0) {
            return new HugePageReport(requested, HugePagePolicy.SYSTEM, false,
                    "the " + os.port() + " OS layer has no transparent huge pages (huge page size 0)");
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
