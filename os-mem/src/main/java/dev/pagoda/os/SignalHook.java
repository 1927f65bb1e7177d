package dev.pagoda.os;

import dev.pagoda.os.runtime.Failures;
import dev.pagoda.os.runtime.Signals;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a handler when a named POSIX signal arrives at this process, for example to dump the allocator's
 * statistics on {@code kill -USR1 <pid>}.
 *
 * {@snippet :
 * try (SignalHook hook = SignalHook.install("USR1", () -> System.err.println(heap.stats()))) {
 *     // ... while the hook is open, kill -USR1 <pid> prints the statistics
 * }
 * }
 *
 * <h2>Which signals</h2>
 * Names are given without the {@code SIG} prefix ({@code "USR1"}, {@code "PWR"}, {@code "WINCH"},
 * {@code "URG"}); a {@code SIG} prefix and lower case are accepted too. {@code USR1} and {@code PWR} are
 * the best choices: nothing in the JVM uses them. The signals the JVM owns are refused with an
 * {@link IllegalArgumentException} that says why:
 * <table class="striped">
 *   <caption>Refused signals</caption>
 *   <thead><tr><th scope="col">Signal</th><th scope="col">Why</th></tr></thead>
 *   <tbody>
 *     <tr><th scope="row">QUIT</th><td>prints a thread dump</td></tr>
 *     <tr><th scope="row">SEGV, BUS, ILL, FPE</th><td>the JVM's own traps: implicit null checks, stack
 *         banging, faults in mapped files, division by zero</td></tr>
 *     <tr><th scope="row">PIPE</th><td>the JVM ignores it so that a write to a closed socket fails with an
 *         {@code IOException} instead of killing the process</td></tr>
 *     <tr><th scope="row">USR2</th><td>HotSpot suspends and resumes threads with it; taking it breaks JFR
 *         sampling</td></tr>
 *     <tr><th scope="row">HUP, INT, TERM</th><td>start the JVM's shutdown and its shutdown hooks</td></tr>
 *     <tr><th scope="row">KILL, STOP</th><td>cannot be caught</td></tr>
 *   </tbody>
 * </table>
 *
 * <h2>How handlers run</h2>
 * The JVM's signal handler only notes the signal; its "Signal Dispatcher" thread then starts a short-lived
 * platform thread named after the signal ({@code "SIGUSR1 handler"}) that runs the handler, typically a
 * few milliseconds later. The handler is ordinary Java code; since each delivery gets its own thread, a
 * slow handler delays no other signal, but two deliveries may run it concurrently. The operating system
 * merges a signal that arrives while the same signal is still pending, so a burst of signals may run the
 * handler fewer times than they were sent. An exception thrown by the handler is reported (to the
 * {@linkplain Thread#getDefaultUncaughtExceptionHandler() default uncaught exception handler} if one is
 * set, else to the {@link System.Logger} {@code dev.pagoda.os} at {@code ERROR}) and does not affect later
 * signals.
 *
 * <p>Under {@code -Xrs} (reduced signal usage) the JVM does not forward signals to Java at all;
 * {@link #install(String, Runnable)} detects this and throws {@link IllegalStateException} rather than
 * install a handler that would never run.
 *
 * <h2>Closing</h2>
 * {@link #close()} stops the handler from being started again and reinstalls the handler that was current
 * when this hook was installed. Several hooks on one signal form a stack and must be closed in the reverse
 * order of installation; a hook closed out of order stops its handler but leaves the current handler in
 * place, since it cannot unlink itself from the middle. With no handler left, a signal's default action
 * applies: for {@code USR1} and {@code PWR} that terminates the process.
 *
 * <h2>Implementation</h2>
 * This class drives {@code sun.misc.Signal} from module {@code jdk.unsupported}, reached through method
 * handles only: a compile-time reference draws a javac warning that no {@code -Xlint} option silences.
 */
public final class SignalHook implements AutoCloseable {
    private static final String JVM_OWNS = "belongs to the JVM, which ";
    private static final Map<String, String> REFUSED = Map.ofEntries(
        Map.entry("QUIT", JVM_OWNS + "prints a thread dump on it"),
        Map.entry("SEGV", JVM_OWNS + "uses it for implicit null checks and stack overflow detection"),
        Map.entry("BUS", JVM_OWNS + "uses it to report faults in memory-mapped files"),
        Map.entry("ILL", JVM_OWNS + "uses it for its own traps"),
        Map.entry("FPE", JVM_OWNS + "uses it to detect integer division by zero"),
        Map.entry("PIPE", JVM_OWNS + "ignores it so that writing to a closed socket throws IOException"),
        Map.entry("USR2", JVM_OWNS + "(HotSpot) suspends and resumes threads with it; JFR sampling breaks"),
        Map.entry("HUP", JVM_OWNS + "starts shutdown and runs the shutdown hooks on it"),
        Map.entry("INT", JVM_OWNS + "starts shutdown and runs the shutdown hooks on it"),
        Map.entry("TERM", JVM_OWNS + "starts shutdown and runs the shutdown hooks on it"),
        Map.entry("KILL", "cannot be caught by any process"),
        Map.entry("STOP", "cannot be caught by any process"));

    private final String signalName;
    private final Object signal;
    private final Object handler;
    private final Object previous;
    private final Dispatch dispatch;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SignalHook(
        final String signalName, final Object signal, final Object handler, final Object previous,
        final Dispatch dispatch) {
        this.signalName = signalName;
        this.signal = signal;
        this.handler = handler;
        this.previous = previous;
        this.dispatch = dispatch;
    }

    /**
     * Installs {@code handler} for the signal {@code signalName}, replacing the current Java handler of that
     * signal until {@link #close()}.
     *
     * @param signalName the signal's name, such as {@code "USR1"} or {@code "SIGUSR1"}; case is ignored
     * @param handler    runs on a JDK signal-handler thread each time the signal arrives
     * @return the open hook
     * @throws IllegalArgumentException if the name is not a signal of this OS, names a signal the JVM owns
     *                                  (see the class description), or the JVM or OS refuses the signal
     * @throws IllegalStateException    if the JVM does not forward signals to Java ({@code -Xrs})
     * @throws NullPointerException     if an argument is null
     */
    public static SignalHook install(final String signalName, final Runnable handler) {
        Objects.requireNonNull(handler, "handler");
        final String name = checkName(signalName);
        final Object signal = Signals.newSignal(name);
        if (!Signals.delivered()) {
            throw new IllegalStateException("cannot handle SIG" + name + ": this JVM does not forward signals " +
                "to Java (it runs with -Xrs, reduced signal usage, and has no Signal Dispatcher thread)");
        }

        final Dispatch dispatch = new Dispatch(name, handler);
        final Object javaHandler = Signals.handlerFor(dispatch);
        final Object previous;
        try {
            previous = Signals.handle(signal, javaHandler);
        } catch (final IllegalArgumentException ex) {
            throw new IllegalArgumentException("signalName=" + name + " cannot be handled in Java: the JVM or " +
                "the OS reserves SIG" + name + " (" + ex.getMessage() + ")", ex);
        }

        return new SignalHook(name, signal, javaHandler, previous, dispatch);
    }

    /**
     * Sends the signal {@code signalName} to the calling thread of this process, as {@code raise(3)} does:
     * for testing hooks, and for tools that want the process to act on its own signal. The handler runs
     * asynchronously, on its own thread.
     *
     * <p>Warning: if no handler is installed for the signal, its default action applies, which for most
     * signals ({@code USR1} and {@code PWR} among them) terminates the process.
     *
     * @param signalName the signal's name, such as {@code "USR1"} or {@code "SIGUSR1"}; case is ignored
     * @throws IllegalArgumentException if the name is not a signal of this OS or names a signal the JVM owns
     * @throws NullPointerException     if {@code signalName} is null
     */
    public static void raise(final String signalName) {
        final String name = checkName(signalName);
        Signals.raise(Signals.newSignal(name));
    }

    /**
     * The signal this hook handles.
     *
     * @return the signal's name without the {@code SIG} prefix, in upper case, such as {@code "USR1"}
     */
    public String signalName() {
        return signalName;
    }

    /**
     * Stops the handler from being started again and reinstalls the handler that was current when this hook
     * was installed. A handler already running is not interrupted. Closing twice does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }

        dispatch.active = false;
        final Object replaced = Signals.handle(signal, previous);
        if (replaced != handler) {
            // Closed out of order: another hook is current. Keep it; this hook's handler is now inert.
            Signals.handle(signal, replaced);
        }
    }

    @Override
    public String toString() {
        return "SignalHook[SIG" + signalName + (closed.get() ? ", closed]" : "]");
    }

    /** Normalises {@code signalName} to upper case without {@code SIG} and refuses the JVM's signals. */
    private static String checkName(final String signalName) {
        Objects.requireNonNull(signalName, "signalName");
        final String upper = signalName.toUpperCase(Locale.ROOT);
        final String name = upper.startsWith("SIG") ? upper.substring(3) : upper;
        if (name.isEmpty() || !name.chars().allMatch(c -> (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            throw new IllegalArgumentException(
                "signalName must be a signal name such as USR1 or SIGUSR1: signalName='" + signalName + "'");
        }

        final String reason = REFUSED.get(name);
        if (null != reason) {
            throw new IllegalArgumentException("signalName=" + signalName + " is refused: SIG" + name + " " + reason);
        }

        return name;
    }

    /** The Java side of one hook: runs the user's handler and reports what it throws. */
    private static final class Dispatch implements Runnable {
        private final String signalName;
        private final Runnable handler;
        volatile boolean active = true;

        Dispatch(final String signalName, final Runnable handler) {
            this.signalName = signalName;
            this.handler = handler;
        }

        /** Called by the JDK's signal-handler thread, through the {@code sun.misc.SignalHandler}. */
        @Override
        public void run() {
            if (!active) {
                return;
            }

            try {
                handler.run();
            } catch (final Throwable ex) {
                Failures.report("handler of SignalHook SIG" + signalName + " failed", ex);
            }
        }
    }
}
