package dev.pagoda.pool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every misuse the pool refuses, each with an exception that names the rule, and the pool unchanged and usable after
 * each refusal.
 */
class MisuseTest {
    private static final long PAGE = 4096;

    @TempDir
    Path dir;

    private BufferPoolBuilder builder(final String file) {
        return BufferPool.builder().file(dir.resolve(file)).pageSize(PAGE).maxPages(64).memoryBudget(8 * PAGE)
                .waitLimit(Duration.ofMillis(200)).jmx(false);
    }

    private static BufferPool withPages(final BufferPool pool, final int pages) {
        for (int i = 0; i < pages; i++) {
            pool.allocatePage();
        }
        return pool;
    }

    @Test
    void shouldRefuseAPageIdOutOfRangeEverywhere() {
        try (BufferPool pool = withPages(builder("p").build(), 3)) {
            final String rule = "pid must be in [0, pageCount) = [0, 3): pid=";
            assertIllegalArgument(() -> pool.fixExclusive(3), rule + "3");
            assertIllegalArgument(() -> pool.fixExclusive(-1), rule + "-1");
            assertIllegalArgument(() -> pool.fixShared(Long.MAX_VALUE), rule + Long.MAX_VALUE);
            assertIllegalArgument(() -> pool.readOptimistic(3, (f, o) -> 0), rule + "3");
            assertIllegalArgument(() -> pool.unfixExclusive(3), rule + "3");
            assertIllegalArgument(() -> pool.unfixShared(-5), rule + "-5");
            assertIllegalArgument(() -> pool.markDirty(64), rule + "64");
            assertEquals(0, pool.stats().hits() + pool.stats().misses(), "nothing was fixed");
            assertEquals(2 * PAGE, pool.fixExclusive(2));
            pool.unfixExclusive(2);
        }
    }

    @Test
    void shouldRefuseAnUnfixOrMarkDirtyWithoutTheFixItNeeds() {
        try (BufferPool pool = withPages(builder("p").build(), 2)) {
            assertIllegalState(() -> pool.unfixExclusive(0),
                    "unfixExclusive(0) needs the page fixed exclusively by the caller, but it is evicted");
            assertIllegalState(() -> pool.unfixShared(0), "unfixShared(0) needs the page fixed shared");
            assertIllegalState(() -> pool.markDirty(0), "markDirty(0) needs the page fixed exclusively");

            pool.fixShared(0);
            assertIllegalState(() -> pool.unfixExclusive(0), "but it is fixed shared by 1");
            assertIllegalState(() -> pool.markDirty(0), "but it is fixed shared by 1");
            pool.unfixShared(0);
            assertIllegalState(() -> pool.unfixShared(0), "but it is unlocked");

            pool.fixExclusive(1);
            assertIllegalState(() -> pool.unfixShared(1), "but it is fixed exclusively");
            pool.markDirty(1);
            pool.unfixExclusive(1);
            assertIllegalState(() -> pool.unfixExclusive(1), "but it is unlocked, dirty, version 1");
            assertEquals(1, pool.stats().dirtyPages());
            pool.fixExclusive(0); // every refusal changed nothing: both pages are free
            pool.fixExclusive(1);
            pool.unfixExclusive(0);
            pool.unfixExclusive(1);
        }
    }

    @Test
    void shouldRefuseEveryCallAfterCloseAndEveryAccessToTheFrames() {
        final BufferPool pool = withPages(builder("p").build(), 2);
        final long off = pool.fixExclusive(0);
        final MemorySegment frames = pool.frames();
        frames.set(ValueLayout.JAVA_LONG, off, 1);
        pool.markDirty(0);
        pool.unfixExclusive(0);
        pool.close();
        pool.close(); // idempotent
        assertTrue(pool.isClosed());
        final String closed = "the buffer pool is closed";
        assertIllegalState(() -> pool.fixExclusive(0), closed);
        assertIllegalState(() -> pool.fixShared(1), closed);
        assertIllegalState(() -> pool.readOptimistic(0, (f, o) -> 0), closed);
        assertIllegalState(() -> pool.unfixExclusive(0), closed);
        assertIllegalState(() -> pool.unfixShared(0), closed);
        assertIllegalState(() -> pool.markDirty(0), closed);
        assertIllegalState(pool::allocatePage, closed);
        assertIllegalState(pool::flush, closed);
        assertIllegalState(pool::residency, closed);
        assertThrows(IllegalStateException.class, () -> frames.get(ValueLayout.JAVA_LONG, off),
                "the JDK refuses access through a segment of the closed pool");
        assertThrows(IllegalStateException.class, () -> frames.set(ValueLayout.JAVA_LONG, 0, 2));
        assertEquals(2, pool.stats().pageCount(), "statistics stay readable");
    }

    @Test
    void shouldRefuseBadSettingsNamingThem() {
        assertIllegalArgument(() -> BufferPool.builder().pageSize(3 * 1024), "pageSize must be a power of two: pageSize=3072");
        assertIllegalArgument(() -> BufferPool.builder().pageSize(0), "pageSize=0");
        assertIllegalArgument(() -> builder("p").pageSize(2048).build(), "pageSize must be at least the OS page");
        assertIllegalArgument(() -> BufferPool.builder().maxPages(0), "maxPages must be positive: maxPages=0");
        assertIllegalArgument(() -> builder("p").maxPages(1L << 60).build(),
                "maxPages × pageSize must fit in a long");
        assertIllegalArgument(() -> BufferPool.builder().memoryBudget(-1), "memoryBudget must be positive");
        assertIllegalArgument(() -> builder("p").memoryBudget(7 * PAGE + 4095).build(),
                "memoryBudget must hold at least 8 frames of pageSize 4096 (32768 bytes): memoryBudget=32767");
        assertIllegalArgument(() -> BufferPool.builder().name(" "), "name must not be blank");
        assertIllegalArgument(() -> BufferPool.builder().waitLimit(Duration.ZERO), "waitLimit must be positive");
        assertThrows(NullPointerException.class, () -> BufferPool.builder().file(null));
        assertIllegalState(() -> BufferPool.builder().build(), "file(path) is required");
        assertTrue(!Files.exists(dir.resolve("p")) || sizeOf(dir.resolve("p")) == 0, "nothing was written");
    }

    @Test
    void shouldRefuseAFileWhoseLengthIsNotWholePagesOrTooLong() throws IOException {
        Files.write(dir.resolve("odd"), new byte[(int) PAGE + 1]);
        assertIllegalArgument(() -> builder("odd").build(), "must be a multiple of pageSize 4096: length=4097");
        Files.write(dir.resolve("long"), new byte[(int) (65 * PAGE)]);
        assertIllegalArgument(() -> builder("long").build(), "holds 65 pages, more than maxPages=64");
        try (BufferPool pool = builder("long").maxPages(65).build()) {
            assertEquals(65, pool.pageCount(), "the refusals left the file free for a pool that fits it");
        }
    }

    @Test
    void shouldRefuseASecondPoolOnAFileInThisJvm() {
        try (BufferPool first = withPages(builder("p").build(), 1)) {
            assertIllegalState(() -> builder("p").build(), "is already open by another pool in this JVM");
            final long off = first.fixExclusive(0); // the refusal took nothing from the first pool
            first.frames().set(ValueLayout.JAVA_LONG, off, 9);
            first.markDirty(0);
            first.unfixExclusive(0);
        }
        try (BufferPool second = builder("p").build()) {
            assertEquals(9, second.readOptimistic(0, (f, o) -> f.get(ValueLayout.JAVA_LONG, o)));
        }
    }

    @Test
    void shouldRefuseAFileAnotherProcessHasLocked() throws Exception {
        final Path file = dir.resolve("p");
        Files.write(file, new byte[(int) PAGE]);
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classes = System.getProperty("jdk.module.path");
        final String testClasses = Path.of(LockHolderMain.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI()).toString();
        final Process holder = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                classes + File.pathSeparator + testClasses, LockHolderMain.class.getName(), file.toString())
                .redirectErrorStream(true).start();
        try {
            final InputStream out = holder.getInputStream();
            final byte[] line = new byte[6];
            assertEquals(6, out.readNBytes(line, 0, 6));
            assertEquals("LOCKED", new String(line, StandardCharsets.US_ASCII));
            assertIllegalState(() -> builder("p").build(), "is locked by another process");
        } finally {
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        try (BufferPool pool = builder("p").build()) {
            assertEquals(1, pool.pageCount(), "free once the other process let go");
        }
    }

    @Test
    void shouldGiveUpAfterTheWaitLimitWhenEveryFrameIsFixedAndRecover() {
        try (BufferPool pool = withPages(builder("p").build(), 9)) {
            for (int pid = 0; pid < 8; pid++) {
                pool.fixShared(pid);
            }
            assertIllegalState(() -> pool.fixExclusive(8),
                    "every one of the 8 frames of the memory budget has stayed fixed for 200 ms");
            assertEquals(8, pool.stats().residentPages(), "the failed miss gave its count back");
            pool.unfixShared(3);
            pool.fixExclusive(8); // the clock takes page 3's frame now
            pool.unfixExclusive(8);
            for (int pid = 0; pid < 8; pid++) {
                if (pid != 3) {
                    pool.unfixShared(pid);
                }
            }
        }
    }

    @Test
    void shouldRefuseToFlushWhileTheCallerHoldsADirtyPageAndSkipItAtClose() {
        final BufferPool pool = withPages(builder("p").build(), 2);
        pool.fixExclusive(1);
        pool.markDirty(1);
        pool.unfixExclusive(1);
        pool.fixExclusive(1); // dirty, and held by this thread
        assertIllegalState(pool::flush, "flush() waited 200 ms for page 1, which stays fixed exclusively");
        final IllegalStateException e = assertThrows(IllegalStateException.class, pool::close);
        assertTrue(e.getMessage().contains("closed, but 1 dirty pages stayed fixed exclusively"), e.getMessage());
        assertTrue(pool.isClosed());
        try (BufferPool again = builder("p").build()) {
            assertEquals(2, again.pageCount(), "closed all the same: the file is free");
        }
    }

    @Test
    void shouldRefuseToGrowPastMaxPages() {
        try (BufferPool pool = withPages(builder("p").maxPages(3).build(), 3)) {
            assertIllegalState(pool::allocatePage, "the pool holds maxPages=3 pages already");
            assertEquals(3, pool.pageCount());
        }
    }

    private static long sizeOf(final Path file) {
        try {
            return Files.size(file);
        } catch (final IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertIllegalArgument(final Executable call, final String part) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), () -> "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
    }

    private static void assertIllegalState(final Executable call, final String part) {
        final IllegalStateException e = assertThrows(IllegalStateException.class, call);
        assertTrue(e.getMessage().contains(part), () -> "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
    }
}
