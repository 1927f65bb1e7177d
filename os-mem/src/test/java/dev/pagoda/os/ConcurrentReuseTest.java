package dev.pagoda.os;

import dev.pagoda.os.port.LinuxBackend;
import dev.pagoda.os.port.RecordingSyscalls;
import dev.pagoda.os.port.Syscalls;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel may hand an address out again the moment {@code munmap} returns, before the freeing thread has
 * recorded the range as gone: a reserve on another thread must then wait for that bookkeeping, not take the
 * range for one this layer still owns (found by the buffer-pool workload: two threads allocating and freeing
 * aligned runs that each get their own reservation).
 */
class ConcurrentReuseTest {
    private static final long MIB = 1L << 20;

    /** Syscalls whose munmap, once the kernel is done, stalls until released, and whose mmap reuses its address. */
    private static final class StallingMunmap implements Syscalls {
        final RecordingSyscalls inner = new RecordingSyscalls();
        final CountDownLatch unmapped = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile long lastUnmapped = -1;

        @Override
        public long mmap(final long address, final long length, final int prot, final int flags) {
            final long reuse = lastUnmapped;
            return address == 0 && reuse >= 0 ? reuse : inner.mmap(address, length, prot, flags);
        }

        @Override
        public int munmap(final long address, final long length) {
            final int rc = inner.munmap(address, length);
            lastUnmapped = address;
            unmapped.countDown();
            try {
                release.await(); // the kernel is done; this thread has not yet told the layer
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return rc;
        }

        @Override
        public int madvise(final long address, final long length, final int advice) {
            return inner.madvise(address, length, advice);
        }

        @Override
        public int mprotect(final long address, final long length, final int prot) {
            return inner.mprotect(address, length, prot);
        }

        @Override
        public int mlock(final long address, final long length) {
            return inner.mlock(address, length);
        }

        @Override
        public int munlock(final long address, final long length) {
            return inner.munlock(address, length);
        }

        @Override
        public long softLimit(final int resource) {
            return inner.softLimit(resource);
        }

        @Override
        public int nameAnonymous(final long address, final long length, final String name) {
            return inner.nameAnonymous(address, length, name);
        }
    }

    @Test
    void shouldWaitForAFreeInFlightWhenTheKernelReusesItsRange() throws Exception {
        final StallingMunmap sys = new StallingMunmap();
        final OsMemory os = OsMemory.over(new LinuxBackend(sys, 4096, 2 * MIB, SystemOptions.defaults()));
        final long first = os.reserve(4 * MIB);
        final CompletableFuture<Void> freeing = CompletableFuture.runAsync(() -> os.free(first, 4 * MIB));
        assertTrue(sys.unmapped.await(10, TimeUnit.SECONDS), "the free reached munmap");
        final CompletableFuture<Long> reserving = CompletableFuture.supplyAsync(() -> os.reserve(4 * MIB));
        assertFalse(waitsAtLeast(reserving), "the reserve waits for the free's bookkeeping");
        sys.release.countDown();
        freeing.get(10, TimeUnit.SECONDS);
        assertEquals(first, reserving.get(10, TimeUnit.SECONDS), "then takes the same range");
        assertEquals(MemState.RESERVED, os.stateOf(first));
        assertEquals(4 * MIB, os.stats().reservedBytes());
    }

    /** Whether the future completes within a short grace period (it should not, while the free is stalled). */
    private static boolean waitsAtLeast(final CompletableFuture<Long> f) throws InterruptedException {
        try {
            f.get(200, TimeUnit.MILLISECONDS);
            return true;
        } catch (final java.util.concurrent.TimeoutException e) {
            return false;
        } catch (final java.util.concurrent.ExecutionException e) {
            throw new AssertionError("the reserve failed instead of waiting", e.getCause());
        }
    }
}
