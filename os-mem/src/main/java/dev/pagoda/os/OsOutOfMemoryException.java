package dev.pagoda.os;

import dev.pagoda.os.libc.Errno;

/**
 * The kernel refused memory or address space ({@code ENOMEM}): a {@code mmap} beyond the commit or
 * address-space limit, or a split beyond {@code vm.max_map_count}.
 *
 * <p>A separate type so that an allocator can catch exactly this case and turn it into an out-of-memory
 * error of its own, while other failures stay bugs. As with every {@link OsMemoryException}, the layer's
 * state is unchanged when it is thrown.
 */
public final class OsOutOfMemoryException extends OsMemoryException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception for a call that failed with {@code ENOMEM}.
     *
     * @param operation the layer operation that failed
     * @param address   the start of the range, or 0 when the OS chooses the address
     * @param length    the length of the range in bytes
     * @param port      the port that made the call
     */
    public OsOutOfMemoryException(final Operation operation, final long address, final long length,
                                  final String port) {
        super(operation, address, length, Errno.ENOMEM, "ENOMEM", port);
    }
}
