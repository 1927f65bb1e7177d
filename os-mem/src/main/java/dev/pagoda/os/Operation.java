package dev.pagoda.os;

/**
 * The operations of {@link OsMemory}, one per function of the Go runtime's {@code mem.go}; used to name
 * the failing call in an {@link OsMemoryException} and to target injected failures in a {@link Simulation}.
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
    HUGE_PAGE_COLLAPSE("sysHugePageCollapse");

    private final String goName;

    Operation(final String goName) {
        this.goName = goName;
    }

    /**
     * The name of the Go runtime function this operation ports.
     *
     * @return the Go name, e.g. {@code "sysMap"}
     */
    public String goName() {
        return goName;
    }
}
