package dev.pagoda.os;

/**
 * The four states a page of address space can be in, after the Go runtime's {@code mem.go}.
 *
 * <p>Only {@link #READY} memory may be accessed. {@link #PREPARED} memory is mapped but holds, as far
 * as the caller may assume, no physical memory and undefined contents. {@link #RESERVED} memory is owned
 * but faults on access. {@link #NONE} is everything the layer does not own.
 */
public enum MemState {
    /** Unreserved and unmapped: the default state of any range, and of every range we do not own. */
    NONE,
    /** Owned, but any access faults; counts against address space only, never against memory. */
    RESERVED,
    /** Mapped, meant not to be backed by physical memory; accessing it is undefined until {@code used}. */
    PREPARED,
    /** Backed (or backable on first touch) and safe to read and write. */
    READY
}
