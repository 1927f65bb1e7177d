package dev.pagoda.bench.workload;

import java.util.List;
import java.util.SplittableRandom;

/**
 * One allocator's buffer-pool run, in a process of its own; {@link BufferPoolWorkload} starts it and describes
 * the workload. Each worker thread holds pages of its own: while its pages hold less than its share of the
 * target it pins one more (allocates an 8 KiB or 16 KiB page aligned to its size, writes all of it), otherwise
 * it releases one chosen at random (reads its first 8 bytes, frees it). The target follows a triangle wave,
 * published by the main thread every 10 ms. Allocate and free are timed one by one; an operation is a pin or a
 * release.
 *
 * <p>Arguments: the allocator's name ({@link AllocatorUnderTest#NAMES}), then {@link ChurnOptions}'
 * {@code --key=value} options.
 */
public final class BufferPoolChild {
    /** The target's low point, as a share of {@code --max-bytes}; it starts and ends there. */
    static final double LOW = 0.10;
    /** The triangle waves over the measured time. */
    static final int WAVES = 2;
    /** Pre-drawn page sizes and victims per worker; a number below 2<sup>16</sup>, prime to it. */
    private static final int DRAWS = (1 << 16) - 1;

    private BufferPoolChild() {
    }

    /**
     * Runs the workload on one allocator and writes its samples and metrics to standard output.
     *
     * @param args the allocator's name, then {@code --key=value} options
     * @throws InterruptedException if interrupted while waiting for the workers
     */
    public static void main(final String[] args) throws InterruptedException {
        ChurnHarness.run(args, Pool::new);
    }

    /**
     * The target at a point of the measured time: from {@link #LOW} up to 1 and back, {@link #WAVES} times.
     *
     * @param fraction the time elapsed, from 0 to 1
     * @return the share of the maximum
     */
    static double triangle(final double fraction) {
        final double phase = fraction * WAVES % 1.0;
        return LOW + (1 - LOW) * (1 - Math.abs(2 * phase - 1));
    }

    /** The pool's target, shared by the workers. */
    private static final class Pool extends ChurnHarness.ChurnWorkload {
        /** Each worker's share of the target, in bytes. */
        private volatile long target;

        Pool(final ChurnOptions options, final AllocatorUnderTest allocator) {
            super(options, allocator);
            progress(0);
        }

        @Override
        ChurnWorker worker(final int thread) {
            return new Worker(this, random.split());
        }

        @Override
        void progress(final double fraction) {
            target = (long) (triangle(fraction) * options.maxBytes() / options.threads());
        }

        @Override
        List<Metric> metrics(final List<ChurnWorker> workers) {
            return List.of(Metric.percent("misaligned_pct",
                    workers.stream().mapToLong(w -> ((Worker) w).misaligned).sum(),
                    workers.stream().mapToLong(w -> ((Worker) w).pins).sum()));
        }
    }

    /** One thread's pages. */
    private static final class Worker extends ChurnWorker {
        private final Pool pool;
        private final AllocatorUnderTest allocator;
        private final int largest;
        private final long[] handles;
        private final int[] sizes;
        private int count;
        private final int[] pageSizes = new int[DRAWS];
        private final int[] victims = new int[DRAWS];
        private int nextSize;
        private int nextVictim;
        long pins;
        long misaligned;

        Worker(final Pool pool, final SplittableRandom random) {
            this.pool = pool;
            this.allocator = pool.allocator;
            final List<Integer> choices = pool.options.pageSizes();
            this.largest = choices.stream().mapToInt(Integer::intValue).max().orElseThrow();
            final int smallest = choices.stream().mapToInt(Integer::intValue).min().orElseThrow();
            final int capacity = (int) (pool.options.maxBytes() / pool.options.threads() / smallest) + 2;
            this.handles = new long[capacity];
            this.sizes = new int[capacity];
            for (int i = 0; i < DRAWS; i++) {
                pageSizes[i] = choices.get(random.nextInt(choices.size()));
                victims[i] = random.nextInt(Integer.MAX_VALUE);
            }
        }

        @Override
        void fill() {
            while (liveBytes + largest <= pool.target) {
                pin(false);
            }
        }

        @Override
        void step(final boolean record) {
            if (count == 0 || liveBytes + pageSizes[nextSize] <= pool.target && count < handles.length) {
                pin(record);
            } else {
                release(record);
            }
            if (record) {
                stats.op();
            }
        }

        private void pin(final boolean record) {
            final int size = pageSizes[nextSize];
            nextSize = nextSize + 1 == DRAWS ? 0 : nextSize + 1;
            final long before = System.nanoTime();
            final long handle = allocator.allocate(size, size);
            final long after = System.nanoTime();
            final long address = allocator.address(handle);
            if (record) {
                stats.allocated(after - before);
                pins++;
                misaligned += (address & (size - 1)) != 0 ? 1 : 0;
            }
            OffHeap.fill(address, size, (byte) count);
            OffHeap.putLong(address, handle);
            handles[count] = handle;
            sizes[count] = size;
            count++;
            liveBytes += size;
        }

        private void release(final boolean record) {
            final int i = victims[nextVictim] % count;
            nextVictim = nextVictim + 1 == DRAWS ? 0 : nextVictim + 1;
            final long handle = handles[i];
            sink += OffHeap.getLong(allocator.address(handle));
            final long before = System.nanoTime();
            allocator.free(handle);
            final long after = System.nanoTime();
            if (record) {
                stats.freed(after - before);
            }
            liveBytes -= sizes[i];
            count--;
            handles[i] = handles[count];
            sizes[i] = sizes[count];
        }
    }
}
