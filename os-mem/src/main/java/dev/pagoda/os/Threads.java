package dev.pagoda.os;

import dev.pagoda.os.runtime.OsThreadIds;

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
        return OsThreadIds.current();
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
}
