package dev.pagoda.os;

/**
 * A system call of the OS-memory layer failed.
 *
 * <p>Carries the {@linkplain #operation() operation}, the range it was applied to, the {@code errno} the
 * kernel reported and its symbolic name, and the port that made the call. When this is thrown the layer's
 * state map and byte counters are exactly as they were before the call: nothing changed state.
 * {@code ENOMEM} is reported as the subclass {@link OsOutOfMemoryException}.
 */
public class OsMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Operation operation;
    private final long address;
    private final long length;
    private final int errno;
    private final String errnoName;

    /**
     * Creates the exception for a failed call.
     *
     * @param operation the layer operation that failed
     * @param address   the start of the range it was applied to, or 0 when the OS chooses the address
     * @param length    the length of the range in bytes
     * @param errno     the {@code errno} the kernel reported
     * @param errnoName the symbolic name of {@code errno} on the running OS, e.g. {@code "EINVAL"}
     * @param port      the port that made the call, e.g. {@code "linux"}
     */
    public OsMemoryException(final Operation operation, final long address, final long length, final int errno,
                             final String errnoName, final String port) {
        super(operation.goName() + "(0x" + Long.toHexString(address) + ", " + length + ") failed on " + port
                + ": " + errnoName + " (errno " + errno + ")");
        this.operation = operation;
        this.address = address;
        this.length = length;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    /**
     * The operation that failed.
     *
     * @return the operation
     */
    public Operation operation() {
        return operation;
    }

    /**
     * The start of the range the call was applied to; 0 for calls that let the OS pick the address.
     *
     * @return the address
     */
    public long address() {
        return address;
    }

    /**
     * The length of the range, in bytes.
     *
     * @return the length
     */
    public long length() {
        return length;
    }

    /**
     * The {@code errno} the kernel reported.
     *
     * @return the error number
     */
    public int errno() {
        return errno;
    }

    /**
     * The symbolic name of {@link #errno()} on the running OS, e.g. {@code "ENOMEM"}.
     *
     * @return the name, or {@code "errno N"} when it is not in Pagoda's table
     */
    public String errnoName() {
        return errnoName;
    }

    /**
     * Whether the kernel ran out of memory or address space ({@code ENOMEM}); such failures are also of
     * type {@link OsOutOfMemoryException}.
     *
     * @return true for {@code ENOMEM}
     */
    public boolean isOutOfMemory() {
        return this instanceof OsOutOfMemoryException;
    }
}
