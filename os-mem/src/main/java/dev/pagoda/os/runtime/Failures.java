package dev.pagoda.os.runtime;

/**
 * Reports failures that have no caller to throw to: a destructor run by the reaper thread, a signal
 * handler run by the JDK's signal thread.
 *
 * <p>The failure is wrapped in a {@link RuntimeException} whose message says what failed and handed to
 * {@link Thread#getDefaultUncaughtExceptionHandler()} if one is set, else logged at {@code ERROR} to the
 * {@link System.Logger} named {@code dev.pagoda.os}. Reporting never throws.
 */
public final class Failures {
    private static final String LOGGER_NAME = "dev.pagoda.os";

    private Failures() {
    }

    /**
     * Reports {@code failure}.
     *
     * @param what    what failed, the report's message
     * @param failure what it threw
     */
    public static void report(final String what, final Throwable failure) {
        final RuntimeException report = new RuntimeException(what, failure);
        try {
            final Thread.UncaughtExceptionHandler handler = Thread.getDefaultUncaughtExceptionHandler();
            if (null != handler) {
                handler.uncaughtException(Thread.currentThread(), report);
                return;
            }
        } catch (final Throwable ignore) {
            // A failing handler must not stop the caller; fall back to the logger.
        }

        try {
            System.getLogger(LOGGER_NAME).log(System.Logger.Level.ERROR, what, failure);
        } catch (final Throwable ignore) {
            // Nothing left to report to.
        }
    }
}
