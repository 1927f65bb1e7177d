package dev.pagoda.bench.workload;

import dev.pagoda.os.Platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Reads this process's resident set at a fixed period on a thread of its own and hands each reading, with
 * the live bytes and phase the workload last published, to a sink; and once more at each change of phase.
 *
 * <p>The resident set is {@code VmRSS} of {@code /proc/self/status}, a counter the kernel keeps, so a reading
 * costs a few microseconds and takes no lock the workload's page faults need; where that file cannot be read,
 * it is {@link Platform#processMemory()}'s figure.
 *
 * {@snippet :
 * try (RssSampler sampler = new RssSampler(Duration.ofMillis(100), s -> System.out.println(s.toCsv()))) {
 *     sampler.start();
 *     sampler.phase(1, Phase.ALLOCATE);
 *     sampler.liveBytes(4096);
 * }
 * }
 */
public final class RssSampler implements AutoCloseable {
    private static final Path STATUS = Path.of("/proc/self/status");

    private final long periodNanos;
    private final Consumer<Sample> sink;
    private final long startNanos = System.nanoTime();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long liveBytes;
    private volatile int cycle;
    private volatile Phase phase = Phase.START;

    /**
     * A sampler, not started; time is counted from now.
     *
     * @param period the time between readings, positive
     * @param sink   takes each sample, on the sampler's thread
     * @throws IllegalArgumentException if {@code period} is not positive
     */
    public RssSampler(final Duration period, final Consumer<Sample> sink) {
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period must be positive: period=" + period);
        }
        this.periodNanos = period.toNanos();
        this.sink = sink;
        this.thread = Thread.ofPlatform().name("rss-sampler").daemon().unstarted(this::loop);
    }

    /** Starts taking samples, the first one at once. */
    public void start() {
        thread.start();
    }

    /**
     * Publishes the workload's live bytes, for the samples to come.
     *
     * @param bytes the bytes the workload holds
     */
    public void liveBytes(final long bytes) {
        this.liveBytes = bytes;
    }

    /**
     * Takes a sample at once, labelled with the phase that ends, then publishes where the workload is for the
     * samples to come. The last sample of every phase is thus taken at its very end (where a burst peaks),
     * however short the phase.
     *
     * @param cycleNumber the cycle, from 1
     * @param newPhase    the phase it enters
     */
    public void phase(final int cycleNumber, final Phase newPhase) {
        sample();
        this.cycle = cycleNumber;
        this.phase = newPhase;
    }

    /** Stops the sampler's thread, then takes one last sample. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (final InterruptedException e) {
                interrupted = true;
            }
        }
        sample();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * This process's resident set size now.
     *
     * @return the bytes, or -1 if it cannot be read
     */
    public static long residentBytes() {
        try {
            for (final String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    final String kib = line.substring("VmRSS:".length()).replace("kB", "").strip();
                    return Long.parseLong(kib) * 1024;
                }
            }
        } catch (final IOException | UncheckedIOException | NumberFormatException e) {
            // not Linux, or /proc hidden: ask the platform layer below
        }
        return Platform.processMemory().rssBytes().orElse(-1);
    }

    private void loop() {
        long next = System.nanoTime();
        while (running) {
            sample();
            next += periodNanos;
            long wait;
            while (running && (wait = next - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    }

    /** Synchronized, so that the samples reach the sink in the order of their times. */
    private synchronized void sample() {
        final Phase p = phase;
        final int c = cycle;
        final long live = liveBytes;
        final long rss = residentBytes();
        sink.accept(new Sample((System.nanoTime() - startNanos) / 1e9, rss, live, c, p));
    }
}
