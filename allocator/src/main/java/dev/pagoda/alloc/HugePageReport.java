package dev.pagoda.alloc;

import java.util.Objects;

/**
 * The huge-page policy a heap asked for, the one in force, and why they differ when they do.
 *
 * @param requested       the policy the heap was built with
 * @param inForce         the policy applied: {@code requested}, or {@link HugePagePolicy#SYSTEM} when the system
 *                        cannot honour it or its huge pages are larger than the heap acts on (4 MiB, as Go)
 * @param hugePagesInPlay whether the heap's memory is expected to be backed by huge pages, so the scavenger
 *                        never splits a huge page that is mostly in use: {@link HugePagePolicy#PREFER} or
 *                        {@link HugePagePolicy#COLLAPSE} in force, or {@link HugePagePolicy#SYSTEM} under THP
 *                        {@code always}; never when the OS's huge page is above 4 MiB
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
}
