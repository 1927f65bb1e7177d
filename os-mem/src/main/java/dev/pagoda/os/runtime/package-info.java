/**
 * The machinery behind the runtime support of {@code dev.pagoda.os}: what {@link dev.pagoda.os.ThreadSlot},
 * {@link dev.pagoda.os.SignalHook} and {@link dev.pagoda.os.Threads} need from the JDK and the C library.
 *
 * <h2>Thread exit</h2>
 * The JDK has no public hook for thread exit, so {@link dev.pagoda.os.runtime.ThreadReaper} is one daemon
 * platform thread, {@code pagoda-thread-reaper}, shared by every slot, that polls {@link Thread#isAlive()} of
 * each registered thread every 10 ms and hands the ended ones back to their slot. It parks without a timeout
 * while nothing is registered and starts with the first registration. A slot registers an entry per thread
 * through the reaper's own small interface, so the reaper knows nothing of slots.
 *
 * <h2>Signals</h2>
 * {@link dev.pagoda.os.runtime.Signals} drives {@code sun.misc.Signal} from module {@code jdk.unsupported}
 * through method handles only (a compile-time reference draws a javac warning that no {@code -Xlint} option
 * silences) and tells whether the JVM forwards signals to Java at all: under {@code -Xrs} HotSpot starts no
 * Signal Dispatcher thread.
 *
 * <h2>Thread ids and failures</h2>
 * {@link dev.pagoda.os.runtime.OsThreadIds} binds the kernel's thread id: {@code gettid()} or
 * {@code syscall(SYS_gettid)} on Linux, {@code pthread_threadid_np} on macOS.
 * {@link dev.pagoda.os.runtime.Failures} reports what fails where no caller can be thrown to (a destructor on
 * the reaper thread, a signal handler on the JDK's): to the default uncaught exception handler if one is set,
 * else to the {@link System.Logger} {@code dev.pagoda.os} at {@code ERROR}.
 *
 * <p>This package uses {@code libc} only; the module does not export it.
 */
package dev.pagoda.os.runtime;
