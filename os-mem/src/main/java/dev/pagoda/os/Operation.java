package dev.pagoda.os;

/**
 * The operations of {@link OsMemory}, one per function of the Go runtime's {@code mem.go} and two that Go does
 * not have ({@link #LOCK}, {@link #UNLOCK}); used to name the failing call in an {@link OsMemoryException} and to
 * target injected failures in a {@link Simulation}.
 */
public enum Operation {
    /** {@link OsMemory#reserve} and {@link OsMemory#reserveAligned}: Go's {@code sysReserve}. */
    RESERVE("sysReserve"),
    /** {@link OsMemory#map}: Go's {@code sysMap}. */
    MAP("sysMap"),
    /** {@link OsMemory#used}: Go's {@code sysUsed}. */
    USED("sysUsed"),
    /** {@link OsMemory#unused}: Go's {@code sysUnused}. */
    UNUSED("sysUnused"),
    /** {@link OsMemory#fault}: Go's {@code sysFault}. */
    FAULT("sysFault"),
    /** {@link OsMemory#free}: Go's {@code sysFree}. */
    FREE("sysFree"),
    /** {@link OsMemory#alloc}: Go's {@code sysAlloc}. */
    ALLOC("sysAlloc"),
    /** {@link OsMemory#hugePage}: Go's {@code sysHugePage}. */
    HUGE_PAGE("sysHugePage"),
    /** {@link OsMemory#noHugePage}: Go's {@code sysNoHugePage}. */
    NO_HUGE_PAGE("sysNoHugePage"),
    /** {@link OsMemory#hugePageCollapse}: Go's {@code sysHugePageCollapse}. */
    HUGE_PAGE_COLLAPSE("sysHugePageCollapse"),
    /** {@link OsMemory#lock}: {@code mlock}; Go's runtime has no wrapper for it, so the name is the system call's. */
    LOCK("mlock"),
    /** {@link OsMemory#unlock}: {@code munlock}, named after the system call as {@link #LOCK} is. */
    UNLOCK("munlock");

    private final String goName;

    Operation(final String goName) {
        this.goName = goName;
    }

    /**
     * The name of the Go runtime function this operation ports, or of the system call for the two Go lacks.
     *
     * @return the Go name, e.g. {@code "sysMap"}, or {@code "mlock"} / {@code "munlock"}
     */
    public String goName() {
        return goName;
    }
}
