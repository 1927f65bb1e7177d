package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class ThreadsTest {
    private static final boolean LINUX = System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux");

    @Test
    void shouldReportTheAvailableProcessorsAsCpuCount() {
        assertTrue(Threads.cpuCount() >= 1);
        assertEquals(Runtime.getRuntime().availableProcessors(), Threads.cpuCount());
    }

    @Test
    void shouldReportAPositiveStableOsThreadId() {
        final long tid = Threads.osThreadId();

        assertTrue(tid > 0, "tid=" + tid);
        assertEquals(tid, Threads.osThreadId());
    }

    @Test
    void shouldMatchTheKernelsIdOfTheCallingThread() throws IOException {
        assumeTrue(LINUX, "needs /proc");

        assertEquals(procThreadSelfId(), Threads.osThreadId());
    }

    @Test
    void shouldDifferBetweenTwoLivePlatformThreads() throws Exception {
        final AtomicLong otherTid = new AtomicLong();
        final AtomicReference<Long> otherProcTid = new AtomicReference<>();
        final CountDownLatch measured = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Thread other = Thread.ofPlatform().start(() -> {
            otherTid.set(Threads.osThreadId());
            if (LINUX) {
                try {
                    otherProcTid.set(procThreadSelfId());
                } catch (final IOException ex) {
                    otherProcTid.set(-1L);
                }
            }
            measured.countDown();
            try {
                release.await(); // stay alive while the ids are compared: Linux reuses ids of ended threads
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });

        try {
            assertTrue(measured.await(5, TimeUnit.SECONDS), "other thread did not run");
            assertTrue(otherTid.get() > 0);
            assertNotEquals(Threads.osThreadId(), otherTid.get());
            if (LINUX) {
                assertEquals(otherProcTid.get(), otherTid.get());
            }
        } finally {
            release.countDown();
            other.join();
        }
    }

    @Test
    void shouldReportTheCarrierIdForAVirtualThread() throws Exception {
        final AtomicLong virtualTid = new AtomicLong();
        final Thread virtual = Thread.ofVirtual().start(() -> virtualTid.set(Threads.osThreadId()));
        virtual.join();

        assertTrue(virtualTid.get() > 0, "tid=" + virtualTid.get());
        assertNotEquals(Threads.osThreadId(), virtualTid.get(), "a virtual thread never runs on this platform thread");
    }

    @Test
    void shouldYieldAndSpinWithoutFailing() {
        Threads.yield();
        Threads.onSpinWait();
    }

    private static long procThreadSelfId() throws IOException {
        final String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        return Long.parseLong(stat.substring(0, stat.indexOf(' ')));
    }
}
