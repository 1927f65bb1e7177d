package dev.pagoda.os.runtime;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The daemon thread {@code pagoda-thread-reaper}, shared by all {@link dev.pagoda.os.ThreadSlot}s, that notices
 * ended threads: every {@value #PERIOD_MILLIS} ms it polls {@link Thread#isAlive()} of every registered thread
 * and calls {@link Reapable#reap()} for the ended ones. It parks without a timeout while nothing is
 * registered, and is started by the first {@link #register}.
 *
 * <p>A failure of {@code reap} (which should report its own) is {@linkplain Failures reported} and the thread
 * carries on.
 */
public final class ThreadReaper {
    /** How often the reaper thread polls, in milliseconds. */
    public static final long PERIOD_MILLIS = 10L;

    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS);
    private static final Set<Reapable> ENTRIES = ConcurrentHashMap.newKeySet();
    /** True while the reaper parks without a timeout; registering then unparks it. */
    private static volatile boolean idle;
    private static final Thread THREAD = start();

    /** Something to do once a thread has ended. */
    public interface Reapable {
        /**
         * The thread whose end is awaited.
         *
         * @return the thread
         */
        Thread thread();

        /** Called by the reaper thread once {@link #thread()} has ended; may be called again until unregistered. */
        void reap();
    }

    private ThreadReaper() {
    }

    /**
     * Watches {@code entry}'s thread until {@code entry} is unregistered.
     *
     * @param entry what to reap when its thread has ended
     */
    public static void register(final Reapable entry) {
        ENTRIES.add(entry);
        // Pairs with run(): it sets idle, then re-checks ENTRIES; one of the two sides sees the other.
        if (idle) {
            LockSupport.unpark(THREAD);
        }
    }

    /**
     * Stops watching {@code entry}.
     *
     * @param entry a registered entry; nothing happens if it is not registered
     */
    public static void unregister(final Reapable entry) {
        ENTRIES.remove(entry);
    }

    private static Thread start() {
        final Thread thread = Thread.ofPlatform()
            .name("pagoda-thread-reaper")
            .daemon(true)
            .inheritInheritableThreadLocals(false)
            .unstarted(ThreadReaper::run);
        thread.start();
        return thread;
    }

    private static void run() {
        while (true) {
            try {
                if (ENTRIES.isEmpty()) {
                    idle = true;
                    if (ENTRIES.isEmpty()) {
                        LockSupport.park(ThreadReaper.class);
                    }
                    idle = false;
                } else {
                    LockSupport.parkNanos(ThreadReaper.class, PERIOD_NANOS);
                }

                Thread.interrupted(); // an interrupt must not turn the parks into a busy loop
                for (final Reapable entry : ENTRIES) {
                    if (!entry.thread().isAlive()) {
                        entry.reap();
                    }
                }
            } catch (final Throwable ex) {
                Failures.report("the ThreadSlot reaper thread failed; it carries on", ex);
            }
        }
    }
}
