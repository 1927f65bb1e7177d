package dev.pagoda.bench.vmcache;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every peer reads what the file holds and keeps what it is told to write, through evictions (a file four times the
 * budget) and with two threads, and the pools hold no more than their budget.
 */
class PageStoreTest {
    private static final long PAGE = 16 << 10;
    private static final int PAGES = 256;
    private static final long BUDGET = 64 * PAGE;
    private static final long WORDS = PAGE / PageStore.READ_STRIDE;

    @ParameterizedTest
    @EnumSource(Peer.class)
    void readsAndUpdatesSurviveEvictionAndReopening(final Peer peer, @TempDir final Path dir) throws Exception {
        final Path file = DataFile.create(dir, "pages", PAGES, PAGE);
        final long[] written = new long[PAGES];
        try (PageStore store = peer.open(file, PAGE, PAGES, BUDGET)) {
            final SplittableRandom random = new SplittableRandom(11);
            for (int i = 0; i < 20_000; i++) {
                final int pid = random.nextInt(PAGES);
                if (random.nextInt(5) == 0) {
                    written[pid] = random.nextLong(1, Long.MAX_VALUE);
                    store.update(pid, written[pid]);
                } else {
                    assertEquals(pid * WORDS, store.read(pid), peer + " page " + pid);
                }
                assertTrue(store.heldBytes() <= (peer == Peer.MAPPED ? PAGES * PAGE : BUDGET),
                        peer + " holds " + store.heldBytes());
            }
        }
        try (FileChannel channel = FileChannel.open(file)) {
            final ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            for (int pid = 0; pid < PAGES; pid++) {
                word.clear();
                channel.read(word, pid * PAGE + PageStore.UPDATE_OFFSET);
                assertEquals(written[pid], word.getLong(0), peer + " page " + pid + " after close");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Peer.class, names = {"PAGODA", "PAGODA_OPTIMISTIC", "HASH_TABLE"})
    void twoThreadsUpdatingTheirOwnPagesLoseNothing(final Peer peer, @TempDir final Path dir) throws Exception {
        final Path file = DataFile.create(dir, "pages", PAGES, PAGE);
        final long[] last = new long[PAGES];
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        try (PageStore store = peer.open(file, PAGE, PAGES, BUDGET)) {
            final Thread[] threads = new Thread[2];
            for (int t = 0; t < 2; t++) {
                final int parity = t;
                threads[t] = new Thread(() -> {
                    try {
                        final SplittableRandom random = new SplittableRandom(parity);
                        for (int i = 1; i <= 20_000; i++) {
                            final int pid = random.nextInt(PAGES / 2) * 2 + parity;
                            if (i % 3 == 0) {
                                store.update(pid, i);
                                last[pid] = i;
                            } else if (store.read(pid) != pid * WORDS) {
                                throw new AssertionError("page " + pid + " read wrong");
                            }
                        }
                    } catch (final Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                threads[t].start();
            }
            for (final Thread t : threads) {
                t.join();
            }
        }
        assertNull(failure.get());
        try (FileChannel channel = FileChannel.open(file)) {
            final ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            for (int pid = 0; pid < PAGES; pid++) {
                word.clear();
                channel.read(word, pid * PAGE + PageStore.UPDATE_OFFSET);
                assertEquals(last[pid], word.getLong(0), peer + " page " + pid);
            }
        }
    }
}
