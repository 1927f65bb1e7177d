package dev.pagoda.os.runtime;

import dev.pagoda.os.libc.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Locale;

/**
 * The kernel's id of the calling thread, for {@link dev.pagoda.os.Threads#osThreadId()}: {@code gettid()} on
 * Linux (glibc 2.30 and later), or {@code syscall(SYS_gettid)} where the C library lacks the wrapper (number 186
 * on x86_64, 178 on aarch64); {@code pthread_threadid_np} on macOS. Each binding is made once, on first use.
 */
public final class OsThreadIds {
    private static final long SYS_GETTID_X86_64 = 186L;
    private static final long SYS_GETTID_AARCH64 = 178L;

    /** {@code ()long} returning the calling thread's OS id, or null if this OS is not supported. */
    private static final MethodHandle OS_THREAD_ID = bindOsThreadId();

    private OsThreadIds() {
    }

    /**
     * The operating system's id of the calling thread (of its carrier, for a virtual thread).
     *
     * @return the kernel thread id, always positive
     * @throws UnsupportedOperationException if this operating system or architecture is not supported
     */
    public static long current() {
        final MethodHandle handle = OS_THREAD_ID;
        if (null == handle) {
            throw new UnsupportedOperationException("osThreadId is not supported on " + osDescription());
        }

        try {
            return (long)handle.invokeExact();
        } catch (final Throwable ex) {
            throw Libc.unchecked("reading the OS thread id", ex);
        }
    }

    /**
     * {@code syscall(SYS_gettid)} on Linux: the fallback of {@link #current()} for C libraries without
     * {@code gettid()}, callable directly so that it can be tested where the wrapper exists.
     *
     * @return the kernel thread id of the calling thread
     * @throws UnsupportedOperationException if not on Linux x86_64 or aarch64
     */
    public static long bySyscall() {
        final MethodHandle handle = SyscallGettid.HANDLE;
        if (null == handle) {
            throw new UnsupportedOperationException("SYS_gettid is not known on " + osDescription());
        }

        try {
            return (long)handle.invokeExact();
        } catch (final Throwable ex) {
            throw Libc.unchecked("syscall(SYS_gettid)", ex);
        }
    }

    private static MethodHandle bindOsThreadId() {
        final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            return Libc.has("gettid") ? bindGettid() : SyscallGettid.HANDLE;
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return bindDarwin();
        }

        return null;
    }

    @SuppressWarnings("restricted")
    private static MethodHandle bindGettid() {
        // gettid() cannot fail or block, so it needs neither errno capture nor a thread-state transition.
        final MethodHandle gettid = Libc.LINKER.downcallHandle(
            Libc.LOOKUP.find("gettid").orElseThrow(),
            FunctionDescriptor.of(Libc.C_INT),
            Linker.Option.critical(false));
        return MethodHandles.explicitCastArguments(gettid, MethodType.methodType(long.class));
    }

    private static MethodHandle bindDarwin() {
        if (!Libc.has("pthread_threadid_np")) {
            return null;
        }

        try {
            return MethodHandles.lookup()
                .findStatic(OsThreadIds.class, "darwinThreadId",
                    MethodType.methodType(long.class, MethodHandle.class))
                .bindTo(DarwinThreadId.PTHREAD_THREADID_NP);
        } catch (final ReflectiveOperationException ex) {
            throw new IllegalStateException(ex);
        }
    }

    @SuppressWarnings("unused") // called through a method handle
    private static long darwinThreadId(final MethodHandle pthreadThreadidNp) throws Throwable {
        final MemorySegment out = DarwinThreadId.BUFFER.get();
        final int result = (int)pthreadThreadidNp.invokeExact(MemorySegment.NULL, out);
        if (0 != result) {
            throw new IllegalStateException("pthread_threadid_np(NULL, &tid) failed: error=" + result);
        }

        return out.get(ValueLayout.JAVA_LONG, 0L);
    }

    private static String osDescription() {
        return System.getProperty("os.name") + " " + System.getProperty("os.arch");
    }

    /** The {@code syscall(SYS_gettid)} binding, made on first use. */
    private static final class SyscallGettid {
        static final MethodHandle HANDLE = bind();

        @SuppressWarnings("restricted")
        private static MethodHandle bind() {
            final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            final String arch = System.getProperty("os.arch", "");
            final long number;
            if (!os.startsWith("linux")) {
                return null;
            } else if ("amd64".equals(arch) || "x86_64".equals(arch)) {
                number = SYS_GETTID_X86_64;
            } else if ("aarch64".equals(arch)) {
                number = SYS_GETTID_AARCH64;
            } else {
                return null;
            }

            // long syscall(long number, ...): variadic, so the linker must know where the fixed part ends.
            final MethodHandle syscall = Libc.LINKER.downcallHandle(
                Libc.LOOKUP.find("syscall").orElseThrow(),
                FunctionDescriptor.of(Libc.C_LONG, Libc.C_LONG),
                Linker.Option.firstVariadicArg(1));
            return MethodHandles.insertArguments(syscall, 0, number);
        }
    }

    /** The macOS binding and its per-thread output buffer, made on first use. */
    private static final class DarwinThreadId {
        @SuppressWarnings("restricted")
        static final MethodHandle PTHREAD_THREADID_NP = Libc.LINKER.downcallHandle(
            Libc.LOOKUP.find("pthread_threadid_np").orElseThrow(),
            FunctionDescriptor.of(Libc.C_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));

        static final ThreadLocal<MemorySegment> BUFFER =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(ValueLayout.JAVA_LONG));
    }
}
