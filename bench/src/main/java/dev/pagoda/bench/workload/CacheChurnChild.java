package dev.pagoda.bench.workload;

import java.util.List;
import java.util.SplittableRandom;

/**
 * One allocator's cache-churn run, in a process of its own; {@link CacheChurnWorkload} starts it and describes
 * the workload. Each worker thread owns a range of the {@link CacheIndex}'s keys and runs a pre-drawn mix of
 * operations on them: 70% get (read the value's first and last 8 bytes), 20% put (allocate, write the whole
 * value, publish it, free the value it replaces) and 10% evict (free). One put in twenty, when there is more
 * than one thread, goes to a key of another thread's range, so that the replaced value is freed by a thread
 * that did not allocate it. Allocate and free are timed one by one.
 *
 * <p>Arguments: the allocator's name ({@link AllocatorUnderTest#NAMES}), then {@link ChurnOptions}'
 * {@code --key=value} options.
 */
public final class CacheChurnChild {
    /** The shares of get and put in the mix; the rest are evictions. */
    static final double GET_SHARE = 0.70;
    /** The share of put in the mix. */
    static final double PUT_SHARE = 0.20;
    /** The share of puts into another thread's keys. */
    static final double FOREIGN_PUT_SHARE = 0.05;
    /**
     * The share of keys the fill gives a value: where puts (which fill an empty key in 1 − f of the cases) and
     * evictions (which empty a full one in f) balance, 0.2 (1 − f) = 0.1 f.
     */
    static final double FILLED_SHARE = PUT_SHARE / (PUT_SHARE + (1 - GET_SHARE - PUT_SHARE));

    private static final int GET = 0;
    private static final int PUT = 1;
    private static final int EVICT = 2;
    private static final int KIND_SHIFT = 30;
    private static final int KEY_MASK = (1 << KIND_SHIFT) - 1;
    /** Pre-drawn operations per worker; the mix repeats after this many. */
    private static final int OPS = 1 << 20;
    /** Pre-drawn sizes per worker, a number prime to {@link #OPS}, so the pairs of key and size vary. */
    private static final int SIZES = (1 << 16) - 1;

    private CacheChurnChild() {
    }

    /**
     * Runs the workload on one allocator and writes its samples and metrics to standard output.
     *
     * @param args the allocator's name, then {@code --key=value} options
     * @throws InterruptedException if interrupted while waiting for the workers
     */
    public static void main(final String[] args) throws InterruptedException {
        ChurnHarness.run(args, Cache::new);
    }

    /** The cache shared by the workers. */
    private static final class Cache extends ChurnHarness.ChurnWorkload {
        private final CacheIndex index;

        Cache(final ChurnOptions options, final AllocatorUnderTest allocator) {
            super(options, allocator);
            this.index = new CacheIndex(options.entries());
        }

        @Override
        ChurnWorker worker(final int thread) {
            return new Worker(this, thread, random.split());
        }

        @Override
        List<Metric> metrics(final List<ChurnWorker> workers) {
            return List.of(Metric.percent("get_hit_pct", workers.stream().mapToLong(w -> ((Worker) w).hits).sum(),
                    workers.stream().mapToLong(w -> ((Worker) w).gets).sum()));
        }
    }

    /** One thread's loop over its pre-drawn operations. */
    private static final class Worker extends ChurnWorker {
        private final AllocatorUnderTest allocator;
        private final CacheIndex index;
        private final int first;
        private final int end;
        private final int[] ops = new int[OPS];
        private final int[] sizes;
        private final SplittableRandom random;
        private int nextOp;
        private int nextSize;
        long gets;
        long hits;

        Worker(final Cache cache, final int thread, final SplittableRandom random) {
            this.allocator = cache.allocator;
            this.index = cache.index;
            this.random = random;
            final int entries = cache.options.entries();
            final int threads = cache.options.threads();
            this.first = (int) ((long) entries * thread / threads);
            this.end = (int) ((long) entries * (thread + 1) / threads);
            this.sizes = SizeMix.cache(random.split()).next(SIZES);
            for (int i = 0; i < OPS; i++) {
                final double u = random.nextDouble();
                final int kind = u < GET_SHARE ? GET : u < GET_SHARE + PUT_SHARE ? PUT : EVICT;
                int key = first + random.nextInt(end - first);
                if (kind == PUT && threads > 1 && random.nextDouble() < FOREIGN_PUT_SHARE) {
                    do {
                        key = random.nextInt(entries);
                    } while (key >= first && key < end);
                }
                ops[i] = kind << KIND_SHIFT | key;
            }
        }

        @Override
        void fill() {
            for (int key = first; key < end; key++) {
                if (random.nextDouble() < FILLED_SHARE) {
                    put(key, false);
                }
            }
        }

        @Override
        void step(final boolean record) {
            final int op = ops[nextOp];
            nextOp = nextOp + 1 == OPS ? 0 : nextOp + 1;
            final int key = op & KEY_MASK;
            switch (op >>> KIND_SHIFT) {
                case GET -> get(key, record);
                case PUT -> put(key, record);
                default -> evict(key, record);
            }
            if (record) {
                stats.op();
            }
        }

        private void get(final int key, final boolean record) {
            final long handle = index.claim(key);
            int length = 0;
            if (handle != CacheIndex.EMPTY) {
                length = index.length(key);
                final long address = allocator.address(handle);
                sink += OffHeap.getLong(address) ^ OffHeap.getLong(address + length - Long.BYTES);
            }
            index.release(key, handle, length);
            if (record) {
                gets++;
                hits += handle != CacheIndex.EMPTY ? 1 : 0;
            }
        }

        private void put(final int key, final boolean record) {
            final int size = sizes[nextSize];
            nextSize = nextSize + 1 == SIZES ? 0 : nextSize + 1;
            final long before = System.nanoTime();
            final long handle = allocator.allocate(size);
            final long after = System.nanoTime();
            if (record) {
                stats.allocated(after - before);
            }
            final long address = allocator.address(handle);
            OffHeap.fill(address, size, (byte) key);
            OffHeap.putLong(address, key);
            final long old = index.claim(key);
            final int oldLength = old == CacheIndex.EMPTY ? 0 : index.length(key);
            index.release(key, handle, size);
            liveBytes += size - oldLength;
            if (old != CacheIndex.EMPTY) {
                free(old, record);
            }
        }

        private void evict(final int key, final boolean record) {
            final long old = index.claim(key);
            final int oldLength = old == CacheIndex.EMPTY ? 0 : index.length(key);
            index.release(key, CacheIndex.EMPTY, 0);
            if (old != CacheIndex.EMPTY) {
                liveBytes -= oldLength;
                free(old, record);
            }
        }

        private void free(final long handle, final boolean record) {
            final long before = System.nanoTime();
            allocator.free(handle);
            final long after = System.nanoTime();
            if (record) {
                stats.freed(after - before);
            }
        }
    }
}
