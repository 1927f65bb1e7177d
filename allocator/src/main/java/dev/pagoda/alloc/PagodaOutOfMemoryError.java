package dev.pagoda.alloc;

/**
 * A Pagoda heap cannot satisfy a request: its address-space budget or memory limit would be exceeded, or the
 * OS refused memory ({@code ENOMEM}). The message gives the request, the limit and the current usage; the
 * heap is consistent and usable afterwards, and smaller requests, or the same one after memory was freed,
 * may succeed. At the memory limit, a heap with {@link Reclaimer}s throws it only after they could not free
 * enough; what they threw is attached as suppressed exceptions.
 */
public final class PagodaOutOfMemoryError extends OutOfMemoryError {
    private static final long serialVersionUID = 1L;

    private final String limitName;
    private final long requestBytes;
    private final long limitBytes;
    private final long usedBytes;

    /**
     * Creates the error.
     *
     * @param what         which limit was hit, e.g. {@code "address-space budget"}
     * @param requestBytes the bytes the request needed
     * @param limitBytes   the limit
     * @param usedBytes    the usage counted against the limit when the request came
     * @param cause        the OS failure behind it, or null
     */
    public PagodaOutOfMemoryError(final String what, final long requestBytes, final long limitBytes,
                                  final long usedBytes, final Throwable cause) {
        super("cannot allocate " + requestBytes + " bytes: " + what + " " + limitBytes + " bytes, " + usedBytes
                + " bytes in use");
        this.limitName = what;
        this.requestBytes = requestBytes;
        this.limitBytes = limitBytes;
        this.usedBytes = usedBytes;
        if (cause != null) {
            initCause(cause);
        }
    }

    /**
     * Which limit refused the request, as the message names it: {@code "memory limit (Ready bytes)"} for the heap's
     * hard limit (the one {@link Reclaimer}s are asked about), {@code "address-space budget"}, or
     * {@code "the OS refused memory (ENOMEM); address-space budget"}.
     *
     * @return the limit's name
     */
    public String limitName() {
        return limitName;
    }

    /**
     * The bytes the failed request needed.
     *
     * @return the request size
     */
    public long requestBytes() {
        return requestBytes;
    }

    /**
     * The limit that would have been exceeded.
     *
     * @return the limit in bytes
     */
    public long limitBytes() {
        return limitBytes;
    }

    /**
     * The usage counted against the limit when the request came.
     *
     * @return the bytes in use
     */
    public long usedBytes() {
        return usedBytes;
    }
}
