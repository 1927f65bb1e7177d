package dev.pagoda.bench.workload;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One thread of a churn workload: fills its share of the working set, then does one operation of the mix per
 * {@link #step} call, timing the allocator's calls into its {@link OpStats} when asked to. {@link ChurnHarness}
 * runs it.
 */
abstract class ChurnWorker {
    /** The figures of the measured steps; read by the harness once the thread has ended. */
    final OpStats stats = new OpStats();
    /** The bytes this worker allocated minus those it freed, as asked for; its thread's own. */
    long liveBytes;
    /** What the worker read from its blocks, so that the reads are not optimised away. */
    long sink;
    private final AtomicLong published = new AtomicLong();

    /** Allocates this worker's share of the starting working set, untimed. */
    abstract void fill();

    /**
     * Does one operation of the mix.
     *
     * @param record whether to time it and count it
     */
    abstract void step(boolean record);

    /** Makes {@link #liveBytes} visible to the sampling thread: a plain store on x86. */
    final void publish() {
        published.setRelease(liveBytes);
    }

    /**
     * The live bytes last published.
     *
     * @return bytes; negative for a worker that freed more than it allocated (others' blocks)
     */
    final long published() {
        return published.getAcquire();
    }
}
