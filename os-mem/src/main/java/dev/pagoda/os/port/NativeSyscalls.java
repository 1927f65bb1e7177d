package dev.pagoda.os.port;

import dev.pagoda.os.libc.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.ConcurrentHashMap;

import static dev.pagoda.os.libc.Libc.C_INT;
import static dev.pagoda.os.libc.Libc.C_LONG;

/**
 * {@link Syscalls} through FFM downcalls into the C library, each handle made once with {@code errno}
 * capture. Pointers and {@code size_t}s are passed as Java {@code long}s: on the LP64 ABIs Pagoda runs on
 * (x86-64 System V, AArch64) they are the same register class, and no {@code MemorySegment} is created
 * per call. None of these calls is bound {@code critical}: {@code mmap}, {@code munmap} and a large
 * {@code madvise} can block on the mm lock.
 */
public final class NativeSyscalls implements Syscalls {
    /** The one instance: the handles are made once, by this class's initialiser. */
    public static final NativeSyscalls INSTANCE = new NativeSyscalls();

    private static final long MAP_FAILED = -1L;
    private static final int PR_SET_VMA = 0x53564d41;
    private static final int PR_SET_VMA_ANON_NAME = 0;
    /** The kernel limits an anonymous VMA name to 80 bytes including the terminating NUL. */
    private static final int MAX_VMA_NAME = 79;

    private static final MethodHandle MMAP = Libc.downcallWithErrno("mmap",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_INT, C_INT, C_INT, C_LONG));
    private static final MethodHandle MUNMAP = Libc.downcallWithErrno("munmap",
            FunctionDescriptor.of(C_INT, C_LONG, C_LONG));
    private static final MethodHandle MADVISE = Libc.downcallWithErrno("madvise",
            FunctionDescriptor.of(C_INT, C_LONG, C_LONG, C_INT));
    private static final MethodHandle MPROTECT = Libc.downcallWithErrno("mprotect",
            FunctionDescriptor.of(C_INT, C_LONG, C_LONG, C_INT));
    private static final MethodHandle MLOCK = Libc.downcallWithErrno("mlock",
            FunctionDescriptor.of(C_INT, C_LONG, C_LONG));
    private static final MethodHandle MUNLOCK = Libc.downcallWithErrno("munlock",
            FunctionDescriptor.of(C_INT, C_LONG, C_LONG));
    /** {@code int getrlimit(int resource, struct rlimit *rlim)}; the struct is two {@code rlim_t}, cur then max. */
    private static final MethodHandle GETRLIMIT = Libc.downcallWithErrno("getrlimit",
            FunctionDescriptor.of(C_INT, C_INT, ValueLayout.ADDRESS));
    /** {@code int prctl(int option, ...)}: variadic after the first argument. */
    private static final MethodHandle PRCTL = Libc.has("prctl")
            ? Libc.downcallWithErrno("prctl",
                    FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_LONG, C_LONG, ValueLayout.ADDRESS),
                    Linker.Option.firstVariadicArg(1))
            : null;

    /** {@code ssize_t process_madvise(int pidfd, const struct iovec *iov, size_t n, int advice, unsigned flags)}. */
    private static final MethodHandle PROCESS_MADVISE = Libc.has("process_madvise") && Libc.has("pidfd_open")
            ? Libc.downcallWithErrno("process_madvise",
                    FunctionDescriptor.of(C_LONG, C_INT, ValueLayout.ADDRESS, C_LONG, C_INT, C_INT))
            : null;
    /** {@code int pidfd_open(pid_t pid, unsigned flags)}. */
    private static final MethodHandle PIDFD_OPEN = PROCESS_MADVISE == null ? null
            : Libc.downcallWithErrno("pidfd_open", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    /** A {@code struct iovec}: base, then length. */
    private static final long IOVEC_BYTES = 16;
    /** Each thread's iovec array for {@link #processMadvise}, made on its first batch and kept. */
    private static final ThreadLocal<MemorySegment> IOVECS =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(IOVEC_BYTES * MAX_IOVEC, 8));

    /** A pidfd for this process, opened on the first batch and kept; written under this object's monitor. */
    private volatile int selfPidfd = -1;

    /** NUL-terminated copies of the few VMA names in use, kept for the life of the process. */
    private final ConcurrentHashMap<String, MemorySegment> names = new ConcurrentHashMap<>();

    private NativeSyscalls() {
    }

    @Override
    public long mmap(final long address, final long length, final int prot, final int flags) {
        try {
            final long p = (long) MMAP.invokeExact(Libc.captureBuffer(), address, length, prot, flags, -1, 0L);
            return p == MAP_FAILED ? -Libc.errno() : p;
        } catch (final Throwable t) {
            throw Libc.unchecked("mmap", t);
        }
    }

    @Override
    public int munmap(final long address, final long length) {
        try {
            return result((int) MUNMAP.invokeExact(Libc.captureBuffer(), address, length));
        } catch (final Throwable t) {
            throw Libc.unchecked("munmap", t);
        }
    }

    @Override
    public int madvise(final long address, final long length, final int advice) {
        try {
            return result((int) MADVISE.invokeExact(Libc.captureBuffer(), address, length, advice));
        } catch (final Throwable t) {
            throw Libc.unchecked("madvise", t);
        }
    }

    @Override
    public long processMadvise(final long[] addresses, final long[] lengths, final int from, final int count,
                               final int advice) {
        if (PROCESS_MADVISE == null || count > MAX_IOVEC) {
            return -ENOSYS_LINUX;
        }
        final int pidfd = selfPidfd();
        if (pidfd < 0) {
            return pidfd;
        }
        final MemorySegment iov = IOVECS.get();
        for (int i = 0; i < count; i++) {
            iov.set(C_LONG, i * IOVEC_BYTES, addresses[from + i]);
            iov.set(C_LONG, i * IOVEC_BYTES + 8, lengths[from + i]);
        }
        try {
            final long rc = (long) PROCESS_MADVISE.invokeExact(Libc.captureBuffer(), pidfd, iov, (long) count, advice,
                    0);
            return rc == -1 ? -Libc.errno() : rc;
        } catch (final Throwable t) {
            throw Libc.unchecked("process_madvise", t);
        }
    }

    /** This process's pidfd, or {@code -errno} if it cannot be opened (the next call tries again). */
    private int selfPidfd() {
        final int fd = selfPidfd;
        return fd >= 0 ? fd : openSelfPidfd();
    }

    /** Opens the pidfd once; this object's monitor is a leaf, held only around {@code pidfd_open}. */
    private synchronized int openSelfPidfd() {
        if (selfPidfd < 0) {
            try {
                final int fd = (int) PIDFD_OPEN.invokeExact(Libc.captureBuffer(), (int) ProcessHandle.current().pid(),
                        0);
                if (fd < 0) {
                    return -Libc.errno();
                }
                selfPidfd = fd;
            } catch (final Throwable t) {
                throw Libc.unchecked("pidfd_open", t);
            }
        }
        return selfPidfd;
    }

    @Override
    public int mprotect(final long address, final long length, final int prot) {
        try {
            return result((int) MPROTECT.invokeExact(Libc.captureBuffer(), address, length, prot));
        } catch (final Throwable t) {
            throw Libc.unchecked("mprotect", t);
        }
    }

    @Override
    public int mlock(final long address, final long length) {
        try {
            return result((int) MLOCK.invokeExact(Libc.captureBuffer(), address, length));
        } catch (final Throwable t) {
            throw Libc.unchecked("mlock", t);
        }
    }

    @Override
    public int munlock(final long address, final long length) {
        try {
            return result((int) MUNLOCK.invokeExact(Libc.captureBuffer(), address, length));
        } catch (final Throwable t) {
            throw Libc.unchecked("munlock", t);
        }
    }

    @Override
    public long softLimit(final int resource) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment limits = arena.allocate(C_LONG, 2);
            final int rc = (int) GETRLIMIT.invokeExact(Libc.captureBuffer(), resource, limits);
            if (rc == -1) {
                return -Libc.errno();
            }
            final long soft = limits.getAtIndex(C_LONG, 0);
            // Linux's RLIM_INFINITY is ~0 (-1 as a long); Darwin's is 2^63 - 1 already.
            return soft < 0 ? Long.MAX_VALUE : soft;
        } catch (final Throwable t) {
            throw Libc.unchecked("getrlimit", t);
        }
    }

    @Override
    public int nameAnonymous(final long address, final long length, final String name) {
        if (PRCTL == null) {
            return -ENOSYS_LINUX;
        }
        final MemorySegment cName = names.computeIfAbsent(name, NativeSyscalls::cString);
        try {
            return result((int) PRCTL.invokeExact(Libc.captureBuffer(), PR_SET_VMA,
                    (long) PR_SET_VMA_ANON_NAME, address, length, cName));
        } catch (final Throwable t) {
            throw Libc.unchecked("prctl", t);
        }
    }

    private static MemorySegment cString(final String name) {
        final String clipped = name.length() > MAX_VMA_NAME ? name.substring(0, MAX_VMA_NAME) : name;
        return Arena.global().allocateFrom(clipped);
    }

    private static int result(final int rc) {
        return rc == -1 ? -Libc.errno() : rc;
    }

}
