package dev.pagoda.bench;

import dev.pagoda.bench.vmcache.AccessMix;
import dev.pagoda.bench.vmcache.DataFile;
import dev.pagoda.bench.vmcache.PageStore;
import dev.pagoda.bench.vmcache.Peer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Random page accesses through Pagoda's vmcache buffer pool and its peers, in operations per second (all threads
 * together). One access is a read (a shared fix, one 8-byte word read at every 4 KiB of the 16 KiB page, unfix) or,
 * {@code updatePercent} of the time, an update (an exclusive fix, one word written, markDirty, unfix); page ids are
 * drawn before the measurement ({@link AccessMix}), uniform or Zipfian (exponent 0.99, hot pages spread over the
 * file).
 *
 * <p>The methods are {@code t<threads>_<peer>}: {@code pagoda} (the pool, reads under {@code fixShared}),
 * {@code pagodaOptimistic} (reads through {@code readOptimistic}), {@code hashTable} (a classic pool: a
 * {@code ConcurrentHashMap} from page id to a {@code PageHeap} frame, a latch per frame, clock eviction),
 * {@code mapped} (the file mapped into a {@code MemorySegment}: the OS page cache, no budget) and {@code pread}
 * (a {@code FileChannel.read} of the page per access). Parameters: {@code dataset}, the file's size over the memory
 * budget ({@code 0.5}: every page fits; {@code 4}: a quarter of them do), {@code budgetMiB} (128), {@code dist},
 * {@code updatePercent}. Each trial writes a new file into {@code -Dpagoda.bench.dir} (default
 * {@code java.io.tmpdir}; not a tmpfs here), opens only the method's peer on it, reads every page once (so the
 * mapped file has faulted in all of its pages and the pools hold the last pages of the file, up to the budget), and
 * deletes the file after. I/O is buffered: the file stays in the OS page cache, so a miss of the
 * pools is a {@code pread} from it, not a device read, and the mapped file at {@code dataset=4} keeps all of the file
 * resident, four times the pools' budget.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class VmcacheBenchmark {
    /** Accesses drawn per thread; the benchmark walks them round and round. */
    static final int ACCESSES = 1 << 20;

    /** How page ids are drawn: {@code zipf} or {@code uniform}. */
    @Param({"zipf", "uniform"})
    public String dist;

    /** The share of accesses that update, in percent. */
    @Param({"0", "20"})
    public int updatePercent;

    /** The file's size over the memory budget. */
    @Param({"0.5", "4"})
    public double dataset;

    /** The pools' memory budget in MiB. */
    @Param({"128"})
    public int budgetMiB;

    /** Bytes per page. */
    @Param({"16384"})
    public int pageSize;

    private Path file;
    private int pages;
    private PageStore store;

    /** Creates the state; JMH calls it. */
    public VmcacheBenchmark() {
    }

    /**
     * Writes the file and opens the peer the running method names.
     *
     * @param params the running benchmark, whose method names the peer
     * @throws IOException if the file cannot be written
     */
    @Setup(Level.Trial)
    public void open(final BenchmarkParams params) throws IOException {
        final String method = params.getBenchmark();
        final Peer peer = Peer.ofLabel(method.substring(method.lastIndexOf('_') + 1));
        final long budget = (long) budgetMiB << 20;
        pages = Math.toIntExact((long) (dataset * budget) / pageSize);
        file = DataFile.create(DataFile.directory(), "vmcache-bench-" + ProcessHandle.current().pid() + ".pages",
                pages, pageSize);
        store = peer.open(file, pageSize, pages, budget);
        for (long pid = 0; pid < pages; pid++) {
            if (store.read(pid) != pid * (pageSize / PageStore.READ_STRIDE)) {
                throw new IllegalStateException(peer + " read page " + pid + " wrong");
            }
        }
    }

    /**
     * Closes the peer and deletes the file.
     *
     * @throws IOException if the file cannot be deleted
     */
    @TearDown(Level.Trial)
    public void close() throws IOException {
        try {
            store.close();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** One thread's accesses and its place in them. */
    @State(Scope.Thread)
    public static class Accesses {
        int[] ops;
        int next;

        /** Creates the state; JMH calls it. */
        public Accesses() {
        }

        /**
         * Draws the thread's accesses.
         *
         * @param bench  the benchmark's settings
         * @param thread the thread, whose index seeds its draw
         */
        @Setup(Level.Trial)
        public void draw(final VmcacheBenchmark bench, final ThreadParams thread) {
            ops = AccessMix.draw(AccessMix.Distribution.of(bench.dist), bench.pages, bench.updatePercent,
                    0x9E3779B97F4A7C15L * (thread.getThreadIndex() + 1), ACCESSES);
        }
    }

    private long access(final Accesses a) {
        final int i = a.next;
        a.next = (i + 1) & (ACCESSES - 1);
        return AccessMix.apply(store, a.ops[i], i);
    }

    /**
     * One access through the vmcache pool, reads under a shared fix.
     *
     * @param a the thread's accesses
     * @return the read's sum
     */
    @Benchmark
    public long t1_pagoda(final Accesses a) {
        return access(a);
    }

    /**
     * One access through the vmcache pool, reads optimistic.
     *
     * @param a the thread's accesses
     * @return the read's sum
     */
    @Benchmark
    public long t1_pagodaOptimistic(final Accesses a) {
        return access(a);
    }

    /**
     * One access through the hash-table pool.
     *
     * @param a the thread's accesses
     * @return the read's sum
     */
    @Benchmark
    public long t1_hashTable(final Accesses a) {
        return access(a);
    }

    /**
     * One access to the mapped file.
     *
     * @param a the thread's accesses
     * @return the read's sum
     */
    @Benchmark
    public long t1_mapped(final Accesses a) {
        return access(a);
    }

    /**
     * One access as a read of the page from the file.
     *
     * @param a the thread's accesses
     * @return the read's sum
     */
    @Benchmark
    public long t1_pread(final Accesses a) {
        return access(a);
    }

    /**
     * Two threads through the vmcache pool, reads under a shared fix.
     *
     * @param a the thread's accesses
     * @return the read's sum
     */
    @Benchmark
    @Threads(2)
    public long t2_pagoda(final Accesses a) {
        return access(a);
    }

    /**
     * Two threads through the vmcache pool, reads optimistic.
     *
     * @param a the thread's accesses
     * @return the read's sum
     */
    @Benchmark
    @Threads(2)
    public long t2_pagodaOptimistic(final Accesses a) {
        return access(a);
    }

    /**
     * Two threads through the hash-table pool.
     *
     * @param a the thread's accesses
     * @return the read's sum
     */
    @Benchmark
    @Threads(2)
    public long t2_hashTable(final Accesses a) {
        return access(a);
    }

    /**
     * Two threads on the mapped file.
     *
     * @param a the thread's accesses
     * @return the read's sum
     */
    @Benchmark
    @Threads(2)
    public long t2_mapped(final Accesses a) {
        return access(a);
    }

    /**
     * Two threads reading pages from the file.
     *
     * @param a the thread's accesses
     * @return the read's sum
     */
    @Benchmark
    @Threads(2)
    public long t2_pread(final Accesses a) {
        return access(a);
    }
}
