package dev.pagoda.os.libc;

import dev.pagoda.os.NativeCallException;
import dev.pagoda.os.OsKind;

/**
 * {@code errno} numbers and their symbolic names, per operating system.
 *
 * <p>Numbers 1 to 34 (bar 11) mean the same on Linux and Darwin; above that they differ ({@code EAGAIN} is 11
 * on Linux and 35 on Darwin, where 11 is {@code EDEADLK}), so a number is only meaningful with the system
 * that produced it. The plain constants are Linux's; those that differ on Darwin have a {@code DARWIN_} twin.
 * Unknown numbers are named {@code "UNKNOWN(n)"}, never an exception.
 */
public final class Errno {
    /** Operation not permitted. */
    public static final int EPERM = 1;
    /** No such file or directory. */
    public static final int ENOENT = 2;
    /** Interrupted system call. */
    public static final int EINTR = 4;
    /** Input/output error. */
    public static final int EIO = 5;
    /** Bad file descriptor. */
    public static final int EBADF = 9;
    /** Resource temporarily unavailable (Linux; {@link #DARWIN_EAGAIN} on Darwin). */
    public static final int EAGAIN = 11;
    /** Cannot allocate memory; also "range not mapped" for {@code mincore} and {@code madvise}. */
    public static final int ENOMEM = 12;
    /** Permission denied. */
    public static final int EACCES = 13;
    /** Bad address. */
    public static final int EFAULT = 14;
    /** Device or resource busy. */
    public static final int EBUSY = 16;
    /** File exists. */
    public static final int EEXIST = 17;
    /** Invalid argument. */
    public static final int EINVAL = 22;
    /** No space left on device. */
    public static final int ENOSPC = 28;
    /** ENOSYS: the kernel has no such system call (Linux; {@link #DARWIN_ENOSYS} on Darwin). */
    public static final int ENOSYS = 38;
    /** Value too large for defined data type (Linux; {@link #DARWIN_EOVERFLOW} on Darwin). */
    public static final int EOVERFLOW = 75;
    /** Operation not supported, also {@code ENOTSUP} (Linux; {@link #DARWIN_EOPNOTSUPP} on Darwin). */
    public static final int EOPNOTSUPP = 95;

    /** Darwin's {@code EAGAIN}. */
    public static final int DARWIN_EAGAIN = 35;
    /** Darwin's {@code ENOSYS}. */
    public static final int DARWIN_ENOSYS = 78;
    /** Darwin's {@code EOVERFLOW}. */
    public static final int DARWIN_EOVERFLOW = 84;
    /** Darwin's {@code EOPNOTSUPP}. */
    public static final int DARWIN_EOPNOTSUPP = 102;

    private Errno() {
    }

    /**
     * The exception for a C call that failed on the running system, naming {@code errno} from that system's
     * table.
     *
     * @param call      the C function that failed
     * @param errno     the {@code errno} it left
     * @param arguments the call's arguments as text
     * @return the exception, to be thrown by the caller
     */
    public static NativeCallException callFailed(final String call, final int errno, final String arguments) {
        return new NativeCallException(call, errno, name(HostOs.current(), errno), arguments);
    }

    /**
     * The name of {@code errno} on {@code os}; other systems use the Linux table.
     *
     * @param os    the system that produced the number
     * @param errno the error number
     * @return its symbolic name, or {@code "UNKNOWN(n)"}
     */
    public static String name(final OsKind os, final int errno) {
        return os == OsKind.DARWIN ? darwinName(errno) : name(errno);
    }

    /**
     * The Linux name of {@code errno}, for example {@code "ENOMEM"} for 12; {@code "UNKNOWN(n)"} if unknown.
     *
     * @param errno the error number
     * @return its symbolic name
     */
    public static String name(final int errno) {
        return switch (errno) {
            case EAGAIN -> "EAGAIN";
            case 35 -> "EDEADLK";
            case 36 -> "ENAMETOOLONG";
            case 37 -> "ENOLCK";
            case ENOSYS -> "ENOSYS";
            case 39 -> "ENOTEMPTY";
            case 40 -> "ELOOP";
            case EOVERFLOW -> "EOVERFLOW";
            case 84 -> "EILSEQ";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            case 110 -> "ETIMEDOUT";
            case 114 -> "EALREADY";
            case 115 -> "EINPROGRESS";
            case 125 -> "ECANCELED";
            case 133 -> "EHWPOISON";
            default -> common(errno);
        };
    }

    /**
     * The Darwin name of {@code errno}, for example {@code "EAGAIN"} for 35; {@code "UNKNOWN(n)"} if unknown.
     *
     * @param errno the error number
     * @return its symbolic name
     */
    public static String darwinName(final int errno) {
        return switch (errno) {
            case 11 -> "EDEADLK";
            case DARWIN_EAGAIN -> "EAGAIN";
            case 36 -> "EINPROGRESS";
            case 37 -> "EALREADY";
            case 45 -> "ENOTSUP";
            case 60 -> "ETIMEDOUT";
            case 62 -> "ELOOP";
            case 63 -> "ENAMETOOLONG";
            case 66 -> "ENOTEMPTY";
            case 77 -> "ENOLCK";
            case DARWIN_ENOSYS -> "ENOSYS";
            case DARWIN_EOVERFLOW -> "EOVERFLOW";
            case 89 -> "ECANCELED";
            case 92 -> "EILSEQ";
            case DARWIN_EOPNOTSUPP -> "EOPNOTSUPP";
            default -> common(errno);
        };
    }

    /** Numbers 1 to 34 except 11, which Linux and Darwin share with the other Unixes. */
    private static String common(final int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case 3 -> "ESRCH";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case 6 -> "ENXIO";
            case 7 -> "E2BIG";
            case 8 -> "ENOEXEC";
            case EBADF -> "EBADF";
            case 10 -> "ECHILD";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EFAULT -> "EFAULT";
            case 15 -> "ENOTBLK";
            case EBUSY -> "EBUSY";
            case EEXIST -> "EEXIST";
            case 18 -> "EXDEV";
            case 19 -> "ENODEV";
            case 20 -> "ENOTDIR";
            case 21 -> "EISDIR";
            case EINVAL -> "EINVAL";
            case 23 -> "ENFILE";
            case 24 -> "EMFILE";
            case 25 -> "ENOTTY";
            case 26 -> "ETXTBSY";
            case 27 -> "EFBIG";
            case ENOSPC -> "ENOSPC";
            case 29 -> "ESPIPE";
            case 30 -> "EROFS";
            case 31 -> "EMLINK";
            case 32 -> "EPIPE";
            case 33 -> "EDOM";
            case 34 -> "ERANGE";
            default -> "UNKNOWN(" + errno + ")";
        };
    }
}
