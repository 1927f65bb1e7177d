package dev.pagoda.os.runtime;

import dev.pagoda.os.libc.Libc;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandleProxies;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * {@code sun.misc.Signal} and {@code sun.misc.SignalHandler} from module {@code jdk.unsupported}, reached through
 * method handles only: a compile-time reference draws a javac warning that no {@code -Xlint} option silences. The
 * objects are passed around as {@code Object}: a signal, a handler. {@link dev.pagoda.os.SignalHook} builds on
 * this.
 */
public final class Signals {
    private static final Class<?> SIGNAL;
    private static final Class<?> HANDLER;
    /** {@code (String)Object}: {@code new Signal(name)}. */
    private static final MethodHandle NEW_SIGNAL;
    /** {@code (Object, Object)Object}: {@code Signal.handle(signal, handler)}. */
    private static final MethodHandle HANDLE;
    /** {@code (Object)void}: {@code Signal.raise(signal)}. */
    private static final MethodHandle RAISE;
    /** {@code (Runnable)void}: {@code Runnable.run}. */
    private static final MethodHandle RUN;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            SIGNAL = Class.forName("sun.misc.Signal");
            HANDLER = Class.forName("sun.misc.SignalHandler");
            NEW_SIGNAL = lookup.findConstructor(SIGNAL, MethodType.methodType(void.class, String.class))
                .asType(MethodType.methodType(Object.class, String.class));
            HANDLE = lookup.findStatic(SIGNAL, "handle", MethodType.methodType(HANDLER, SIGNAL, HANDLER))
                .asType(MethodType.methodType(Object.class, Object.class, Object.class));
            RAISE = lookup.findStatic(SIGNAL, "raise", MethodType.methodType(void.class, SIGNAL))
                .asType(MethodType.methodType(void.class, Object.class));
            RUN = lookup.findVirtual(Runnable.class, "run", MethodType.methodType(void.class));
        } catch (final ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private Signals() {
    }

    /**
     * Whether the JVM forwards signals to Java: HotSpot under {@code -Xrs} starts no Signal Dispatcher.
     * Looked at once, on the first call.
     *
     * @return false only when the JVM is known not to forward signals
     */
    public static boolean delivered() {
        return Delivery.ENABLED;
    }

    /**
     * {@code new Signal(name)}.
     *
     * @param name the signal's name without {@code SIG}, such as {@code "USR1"}
     * @return the {@code sun.misc.Signal}
     * @throws IllegalArgumentException if the OS knows no such signal
     */
    public static Object newSignal(final String name) {
        try {
            return (Object)NEW_SIGNAL.invokeExact(name);
        } catch (final IllegalArgumentException ex) {
            throw new IllegalArgumentException(
                "signalName=" + name + " is not a signal this OS knows (" + ex.getMessage() + ")", ex);
        } catch (final Throwable ex) {
            throw Libc.unchecked("sun.misc.Signal", ex);
        }
    }

    /**
     * {@code Signal.handle(signal, handler)}: makes {@code handler} the signal's Java handler.
     *
     * @param signal  a {@code sun.misc.Signal}
     * @param handler a {@code sun.misc.SignalHandler}
     * @return the handler it replaced
     * @throws IllegalArgumentException if the JVM or the OS reserves the signal
     */
    public static Object handle(final Object signal, final Object handler) {
        try {
            return (Object)HANDLE.invokeExact(signal, handler);
        } catch (final Throwable ex) {
            throw Libc.unchecked("sun.misc.Signal", ex);
        }
    }

    /**
     * {@code Signal.raise(signal)}: sends the signal to this process.
     *
     * @param signal a {@code sun.misc.Signal}
     */
    public static void raise(final Object signal) {
        try {
            RAISE.invokeExact(signal);
        } catch (final Throwable ex) {
            throw Libc.unchecked("sun.misc.Signal", ex);
        }
    }

    /**
     * A {@code sun.misc.SignalHandler} whose {@code handle(Signal)} runs {@code onSignal}.
     *
     * @param onSignal what to run each time the signal arrives
     * @return the handler, a new object
     */
    public static Object handlerFor(final Runnable onSignal) {
        final MethodHandle target = MethodHandles.dropArguments(RUN.bindTo(onSignal), 0, SIGNAL);
        return MethodHandleProxies.asInterfaceInstance(HANDLER, target);
    }

    /** Whether the JVM forwards signals to Java, found out on first use. */
    private static final class Delivery {
        static final boolean ENABLED = signalsForwarded();

        private static boolean signalsForwarded() {
            final String vm = System.getProperty("java.vm.name", "");
            if (!vm.contains("HotSpot") && !vm.contains("OpenJDK")) {
                return true; // no way to tell on this VM; assume the default, signals forwarded
            }

            ThreadGroup root = Thread.currentThread().getThreadGroup();
            while (null != root.getParent()) {
                root = root.getParent();
            }

            Thread[] threads = new Thread[root.activeCount() + 16];
            int count = root.enumerate(threads, true);
            while (count == threads.length) {
                threads = new Thread[threads.length * 2];
                count = root.enumerate(threads, true);
            }

            for (int i = 0; i < count; i++) {
                if ("Signal Dispatcher".equals(threads[i].getName())) {
                    return true;
                }
            }

            return false;
        }
    }
}
