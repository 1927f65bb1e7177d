package dev.pagoda.os;

/**
 * A consistent snapshot of the bytes an {@link OsMemory} holds in each state.
 *
 * <p>The counters are derived from the layer's own map of page states, so they always satisfy
 * {@code reservedBytes + preparedBytes + readyBytes == ownedBytes()} and never drift from what was actually
 * done: a failed call changes none of them.
 *
 * @param reservedBytes bytes in the {@link MemState#RESERVED} state: address space only
 * @param preparedBytes bytes in the {@link MemState#PREPARED} state: mapped, not meant to be backed
 * @param readyBytes    bytes in the {@link MemState#READY} state; Go's {@code mappedReady}, the number a
 *                      memory limit is compared against
 */
public record OsMemoryStats(long reservedBytes, long preparedBytes, long readyBytes) {
    /**
     * Bytes mapped read/write, Prepared or Ready (what Go's {@code sysStat} counters sum to).
     *
     * @return {@code preparedBytes + readyBytes}
     */
    public long mappedBytes() {
        return preparedBytes + readyBytes;
    }

    /**
     * All address space this layer owns, in any state but None.
     *
     * @return {@code reservedBytes + preparedBytes + readyBytes}
     */
    public long ownedBytes() {
        return reservedBytes + preparedBytes + readyBytes;
    }

    /**
     * The bytes in {@code state}.
     *
     * @param state a state other than {@link MemState#NONE}
     * @return the bytes in that state
     * @throws IllegalArgumentException for {@link MemState#NONE}, which is unbounded
     */
    public long bytesIn(final MemState state) {
        return switch (state) {
            case RESERVED -> reservedBytes;
            case PREPARED -> preparedBytes;
            case READY -> readyBytes;
            case NONE -> throw new IllegalArgumentException("state must not be NONE: the layer does not count "
                    + "address space it does not own");
        };
    }
}
