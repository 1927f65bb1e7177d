package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Raises only signals that have a hook installed at the time: with no handler, USR1 and PWR would
 * terminate the test JVM.
 */
class SignalHookTest {
    private static final long TIMEOUT_SECONDS = 5;

    @Test
    void shouldRunTheHandlerWhenTheSignalArrives() throws InterruptedException {
        final CountDownLatch fired = new CountDownLatch(1);
        final Queue<String> handlerThreads = new ConcurrentLinkedQueue<>();
        try (SignalHook hook = SignalHook.install("USR1", () -> {
            handlerThreads.add(Thread.currentThread().getName());
            fired.countDown();
        })) {
            assertEquals("USR1", hook.signalName());

            SignalHook.raise("USR1");

            assertTrue(fired.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "handler did not run");
            assertTrue(handlerThreads.peek().contains("SIGUSR1"), String.valueOf(handlerThreads));
        }
    }

    @Test
    void shouldAcceptTheSigPrefixAndAnyCase() throws InterruptedException {
        final CountDownLatch fired = new CountDownLatch(1);
        try (SignalHook hook = SignalHook.install("sigPwr", fired::countDown)) {
            assertEquals("PWR", hook.signalName());

            SignalHook.raise("SIGPWR");

            assertTrue(fired.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "handler did not run");
        }
    }

    @Test
    void shouldRestoreThePreviousHandlerOnClose() throws InterruptedException {
        final Semaphore first = new Semaphore(0);
        final Semaphore second = new Semaphore(0);
        try (SignalHook outer = SignalHook.install("USR1", first::release)) {
            try (SignalHook inner = SignalHook.install("USR1", second::release)) {
                SignalHook.raise("USR1");
                assertTrue(second.tryAcquire(TIMEOUT_SECONDS, TimeUnit.SECONDS), "inner handler did not run");
                assertEquals(0, first.availablePermits(), "only the current handler runs");
            }

            SignalHook.raise("USR1");

            assertTrue(first.tryAcquire(TIMEOUT_SECONDS, TimeUnit.SECONDS), "restored handler did not run");
            assertEquals(0, second.availablePermits(), "a closed hook's handler does not run");
        }
    }

    @Test
    void shouldInstallAgainAfterClose() throws InterruptedException {
        final Semaphore runs = new Semaphore(0);
        final SignalHook hook = SignalHook.install("PWR", runs::release);
        SignalHook.raise("PWR");
        assertTrue(runs.tryAcquire(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        hook.close();
        hook.close(); // closing twice does nothing

        try (SignalHook again = SignalHook.install("PWR", runs::release)) {
            SignalHook.raise("PWR");

            assertTrue(runs.tryAcquire(TIMEOUT_SECONDS, TimeUnit.SECONDS), "second install did not run");
        }
    }

    @Test
    void shouldKeepTheCurrentHandlerWhenClosedOutOfOrder() throws InterruptedException {
        final Semaphore first = new Semaphore(0);
        final Semaphore second = new Semaphore(0);
        final SignalHook outer = SignalHook.install("PWR", first::release);
        try (SignalHook inner = SignalHook.install("PWR", second::release)) {
            outer.close();

            SignalHook.raise("PWR");

            assertTrue(second.tryAcquire(TIMEOUT_SECONDS, TimeUnit.SECONDS), "current handler did not run");
            assertEquals(0, first.availablePermits());
        }
    }

    @Test
    void shouldReportAHandlerExceptionAndKeepHandling() throws InterruptedException {
        final Queue<Throwable> reported = new ConcurrentLinkedQueue<>();
        final CountDownLatch reportedOnce = new CountDownLatch(1);
        final Thread.UncaughtExceptionHandler saved = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, ex) -> {
            reported.add(ex);
            reportedOnce.countDown();
        });
        final IllegalStateException failure = new IllegalStateException("handler failed on purpose");
        final AtomicInteger runs = new AtomicInteger();
        final CountDownLatch secondRun = new CountDownLatch(1);
        try (SignalHook hook = SignalHook.install("USR1", () -> {
            if (runs.incrementAndGet() == 1) {
                throw failure;
            }
            secondRun.countDown();
        })) {
            SignalHook.raise("USR1");
            assertTrue(reportedOnce.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "failure was not reported");

            SignalHook.raise("USR1");

            assertTrue(secondRun.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "handler did not run again");
            final Throwable report = reported.peek();
            assertSame(failure, report.getCause());
            assertTrue(report.getMessage().contains("SIGUSR1"), report.getMessage());
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(saved);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"QUIT", "SEGV", "BUS", "PIPE", "ILL", "FPE", "USR2", "HUP", "INT", "TERM", "KILL", "STOP"})
    void shouldRefuseTheSignalsTheJvmOwns(final String name) {
        for (final String spelling : List.of(name, "SIG" + name)) {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> SignalHook.install(spelling, () -> { }));
            assertTrue(ex.getMessage().contains("SIG" + name + " "), ex.getMessage());
            assertTrue(ex.getMessage().contains("refused"), ex.getMessage());

            final IllegalArgumentException raised =
                assertThrows(IllegalArgumentException.class, () -> SignalHook.raise(spelling));
            assertTrue(raised.getMessage().contains("SIG" + name + " "), raised.getMessage());
        }
    }

    @Test
    void shouldSayWhyUsr2IsRefused() {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> SignalHook.install("USR2", () -> { }));

        assertTrue(ex.getMessage().contains("suspends and resumes"), ex.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"NOSUCHSIGNAL, NOSUCHSIGNAL", "SIGFOO, FOO"})
    void shouldRejectUnknownSignalNames(final String name, final String bareName) {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> SignalHook.install(name, () -> { }));

        assertTrue(ex.getMessage().contains("signalName=" + bareName), ex.getMessage());
        assertTrue(ex.getMessage().contains("not a signal"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SignalHook.raise(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "SIG", "USR-1", "USR1 ", "10"})
    void shouldRejectMalformedSignalNames(final String name) {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> SignalHook.install(name, () -> { }));

        assertTrue(ex.getMessage().contains("signalName"), ex.getMessage());
    }

    @Test
    void shouldRejectNullArguments() {
        assertThrows(NullPointerException.class, () -> SignalHook.install(null, () -> { }));
        assertThrows(NullPointerException.class, () -> SignalHook.install("USR1", null));
        assertThrows(NullPointerException.class, () -> SignalHook.raise(null));
    }

    @Test
    void shouldRefuseToInstallUnderReducedSignalUsage() throws Exception {
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classes = System.getProperty("jdk.module.path");
        final String testClasses = Path.of(SignalHookXrsMain.class.getProtectionDomain().getCodeSource().getLocation()
            .toURI()).toString();
        final Process process = new ProcessBuilder(java, "-Xrs", "-Xshare:auto", "-XX:TieredStopAtLevel=1",
            "--enable-native-access=ALL-UNNAMED", "-cp", classes + File.pathSeparator + testClasses,
            SignalHookXrsMain.class.getName())
            .redirectErrorStream(true)
            .start();
        try {
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "child JVM did not finish");
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertEquals(0, process.exitValue(), output);
            assertTrue(output.contains("IllegalStateException") && output.contains("-Xrs"), output);
        } finally {
            process.destroyForcibly();
        }
    }
}
