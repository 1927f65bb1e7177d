package dev.pagoda.os;

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
 * Facts about threads and CPUs, and the few thread primitives the allocator uses.
 *
 * <p>{@link #osThreadId()} is the kernel's id of the calling thread, the number {@code top -H},
 * {@code perf}, {@code /proc/<pid>/task} and native debuggers show, so that a Java thread can be matched
 * with what the operating system reports. On Linux it is {@code gettid()} (glibc 2.30 and later), or
 * {@code syscall(SYS_gettid)} where the C library lacks the wrapper (number 186 on x86_64, 178 on
 * aarch64); on macOS it is {@code pthread_threadid_np}. It is not {@link Thread#threadId()}, which is
 * the JVM's own counter.
 *
 * <p>All methods are static and thread-safe.
 */
public final class Threads {
    private static final long SYS_GETTID_X86_64 = 186L;
    private static final long SYS_GETTID_AARCH64 = 178L;

    /** {@code ()long} returning the calling thread's OS id, or null if this OS is not supported. */
    private static final MethodHandle OS_THREAD_ID = bindOsThreadId();

    private Threads() {
    }

    /**
     * The number of CPUs this JVM may run on: {@link Runtime#availableProcessors()}, which on Linux
     * honours the CPU affinity mask and cgroup CPU limits. It can change while the JVM runs (a container's
     * limit may be updated), so callers that size structures by it read it once and keep the value.
     *
     * @return the number of usable CPUs, at least 1
     */
    public static int cpuCount() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * The operating system's id of the calling thread.
     *
     * <p>For a platform thread the value is fixed for the thread's life and unique among the live threads
     * of the machine (Linux may reuse it after the thread ends). For a virtual thread it is the id of the
     * carrier thread the virtual thread is mounted on at the moment of the call; a virtual thread can move
     * to another carrier between two calls, so two calls from one virtual thread may return different
     * values, and two virtual threads may return the same value.
     *
     * @return the kernel thread id: {@code gettid()} on Linux, {@code pthread_threadid_np} on macOS;
     *         always positive
     * @throws UnsupportedOperationException if this operating system or architecture is not supported
     */
    public static long osThreadId() {
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
     * Hints that the calling thread is willing to give up its CPU: {@link Thread#yield()}. A virtual
     * thread yields its carrier to another virtual thread.
     */
    public static void yield() {
        Thread.yield();
    }

    /**
     * Hints that the caller is in a spin loop: {@link Thread#onSpinWait()} ({@code PAUSE} on x86,
     * {@code ISB} or {@code YIELD} on aarch64).
     */
    public static void onSpinWait() {
        Thread.onSpinWait();
    }

    /**
     * {@code syscall(SYS_gettid)} on Linux: the fallback of {@link #osThreadId()} for C libraries without
     * {@code gettid()}, callable directly so that it can be tested where the wrapper exists.
     *
     * @throws UnsupportedOperationException if not on Linux x86_64 or aarch64
     */
    static long osThreadIdBySyscall() {
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
                .findStatic(Threads.class, "darwinThreadId", MethodType.methodType(long.class, MethodHandle.class))
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
