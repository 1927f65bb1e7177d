package dev.pagoda.verify;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The threads of a multi-threaded scenario, for tests that must fail rather than hang: every thread is a daemon whose
 * throwable is collected, and they are joined by one deadline, after which the test fails with a dump of the threads
 * in the allocator (a deadlocked heap is left unclosed, as closing it would hang too).
 */
final class Scenario {
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final long deadlineSeconds;

    /**
     * A scenario whose threads must all end within {@code deadlineSeconds} of each {@link #awaitAll} call.
     *
     * @param deadlineSeconds the deadline
     */
    Scenario(final long deadlineSeconds) {
        this.deadlineSeconds = deadlineSeconds;
    }

    /** Starts {@code body} on a daemon platform thread named {@code name}, collecting what it throws. */
    Thread daemon(final String name, final Runnable body) {
        final Thread t = Thread.ofPlatform().name(name).daemon(true).unstarted(body);
        t.setUncaughtExceptionHandler(this::add);
        t.start();
        return t;
    }

    /** Records {@code e}, thrown by {@code t}; the handler of every thread the scenario starts. */
    void add(final Thread t, final Throwable e) {
        final java.io.StringWriter w = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(w));
        final String trace = w.toString();
        failures.add(t.getName() + ": " + trace.substring(0, Math.min(trace.length(), 3000)));
    }

    /** Fails the test if any thread threw. */
    void assertNone() {
        if (!failures.isEmpty()) {
            fail(failures.size() + " thread(s) failed; the first: " + failures.peek());
        }
    }

    /** Joins every thread by one deadline; fails with a thread dump if any is still running. */
    void awaitAll(final List<Thread> threads, final String what) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(deadlineSeconds);
        for (final Thread t : threads) {
            final long left = deadline - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            if (t.isAlive()) {
                fail(what + " did not finish within " + deadlineSeconds + " s (" + t.getName() + " still runs):\n"
                        + dump());
            }
        }
    }

    /** The stacks of the threads that take part (any thread in the allocator, and the scenario's own). */
    static String dump() {
        final StringBuilder out = new StringBuilder();
        int shown = 0;
        for (final var e : Thread.getAllStackTraces().entrySet()) {
            final String trace = java.util.Arrays.toString(e.getValue());
            if (shown < 30 && (trace.contains("dev.pagoda") || e.getKey().getName().startsWith("pagoda"))) {
                shown++;
                out.append('"').append(e.getKey().getName()).append("\" ").append(e.getKey().getState()).append('\n');
                for (final StackTraceElement f : e.getValue()) {
                    out.append("    at ").append(f).append('\n');
                }
            }
        }
        return out.toString();
    }
}
