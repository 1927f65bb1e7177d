package dev.pagoda.os;

import java.util.Objects;

/**
 * A C library call failed: carries the function's name, the {@code errno} it left and that number's
 * symbolic name on the system that produced it.
 *
 * <p>Compare {@link #errnoName()} rather than {@link #errno()} in portable code: the numbers differ between
 * systems ({@code EAGAIN} is 11 on Linux and 35 on Darwin), the names do not. This class is not final so that
 * the memory layer can refine it for its own operations.
 */
public class NativeCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;
    private final String errnoName;

    /**
     * Creates the exception with a message such as
     * {@code "mincore(address=0x0, bytes=4096) failed: ENOMEM (errno 12)"}.
     *
     * @param call      the C function that failed, for example {@code "mincore"}
     * @param errno     the {@code errno} it left
     * @param errnoName the name of {@code errno} on the system that produced it, for example {@code "ENOMEM"}
     * @param arguments the call's arguments as text, for example {@code "address=0x0, bytes=4096"}; may be
     *                  empty
     * @throws NullPointerException if {@code call}, {@code errnoName} or {@code arguments} is {@code null}
     */
    public NativeCallException(final String call, final int errno, final String errnoName, final String arguments) {
        this(call, errno, errnoName, arguments, null);
    }

    /**
     * Creates the exception with a message such as
     * {@code "mlock(address=0x7f0000000000, bytes=65536) failed: ENOMEM (errno 12): the kernel refused ..."}: the
     * failure, then advice on what to do about it.
     *
     * @param call      the C function that failed, for example {@code "mlock"}
     * @param errno     the {@code errno} it left
     * @param errnoName the name of {@code errno} on the system that produced it, for example {@code "ENOMEM"}
     * @param arguments the call's arguments as text; may be empty
     * @param advice    a sentence explaining the failure, or {@code null} for none
     * @throws NullPointerException if {@code call}, {@code errnoName} or {@code arguments} is {@code null}
     */
    public NativeCallException(final String call, final int errno, final String errnoName, final String arguments,
                               final String advice) {
        super(message(call, errno, errnoName, arguments, advice));
        this.call = call;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    private static String message(final String call, final int errno, final String errnoName,
                                  final String arguments, final String advice) {
        Objects.requireNonNull(call, "call");
        Objects.requireNonNull(errnoName, "errnoName");
        Objects.requireNonNull(arguments, "arguments");
        return call + '(' + arguments + ") failed: " + errnoName + " (errno " + errno + ')'
                + (advice == null ? "" : ": " + advice);
    }

    /**
     * The C function that failed.
     *
     * @return its name, for example {@code "mincore"}
     */
    public String call() {
        return call;
    }

    /**
     * The {@code errno} the call left, in the numbering of the system that produced it.
     *
     * @return the error number, for example 12
     */
    public int errno() {
        return errno;
    }

    /**
     * The symbolic name of {@link #errno()}.
     *
     * @return for example {@code "ENOMEM"}, or {@code "UNKNOWN(n)"} for a number the table does not know
     */
    public String errnoName() {
        return errnoName;
    }
}
