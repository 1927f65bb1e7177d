package dev.pagoda.os;

/**
 * A system call of the OS-memory layer failed.
 *
 * <p>Carries the {@linkplain #operation() operation} (its Go name is the exception's {@link #call()}), the
 * range it was applied to, and the {@code errno} the kernel reported with its symbolic name. The message reads
 * like {@code "sysMap(address=0x7f3a00000000, bytes=65536, port=linux) failed: ENOMEM (errno 12)"}. When this is thrown the layer's
 * state map and byte counters are exactly as they were before the call: nothing changed state.
 * {@code ENOMEM} is reported as the subclass {@link OsOutOfMemoryException}, except from {@link OsMemory#lock}, where
 * it means the locked-memory limit, not a shortage of memory.
 */
public class OsMemoryException extends NativeCallException {
    private static final long serialVersionUID = 1L;

    private final Operation operation;
    private final long address;
    private final long length;

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
        this(operation, address, length, errno, errnoName, port, null);
    }

    /**
     * Creates the exception for a failed call, with advice appended to the message: a {@link OsMemory#lock}
     * refused by the locked-memory limit names {@code RLIMIT_MEMLOCK} and {@code ulimit -l} this way.
     *
     * @param operation the layer operation that failed
     * @param address   the start of the range it was applied to, or 0 when the OS chooses the address
     * @param length    the length of the range in bytes
     * @param errno     the {@code errno} the kernel reported
     * @param errnoName the symbolic name of {@code errno} on the running OS, e.g. {@code "EINVAL"}
     * @param port      the port that made the call, e.g. {@code "linux"}
     * @param advice    a sentence explaining the failure, or {@code null} for none
     */
    public OsMemoryException(final Operation operation, final long address, final long length, final int errno,
                             final String errnoName, final String port, final String advice) {
        super(operation.goName(), errno, errnoName,
                "address=0x" + Long.toHexString(address) + ", bytes=" + length + ", port=" + port, advice);
        this.operation = operation;
        this.address = address;
        this.length = length;
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
     * Whether the kernel ran out of memory or address space ({@code ENOMEM}); such failures are also of
     * type {@link OsOutOfMemoryException}.
     *
     * @return true for {@code ENOMEM}
     */
    public boolean isOutOfMemory() {
        return this instanceof OsOutOfMemoryException;
    }
}
