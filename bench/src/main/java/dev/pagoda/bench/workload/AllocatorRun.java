package dev.pagoda.bench.workload;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The samples and metrics of one allocator's child process.
 *
 * @param allocator the allocator's name
 * @param samples   the samples in the order taken
 * @param metrics   the figures the child reported at its end, in its order
 * @param exitCode  the child's exit status; 0 when it ran to the end
 */
record AllocatorRun(String allocator, List<Sample> samples, List<Metric> metrics, int exitCode) {
    AllocatorRun {
        samples = List.copyOf(samples);
        metrics = List.copyOf(metrics);
    }

    /**
     * The highest resident set sampled.
     *
     * @return bytes; 0 if there is no sample
     */
    long peakRss() {
        return samples.stream().mapToLong(Sample::rssBytes).max().orElse(0);
    }

    /**
     * The last sample before the first burst: the JVM's own resident set.
     *
     * @return the sample, empty if none
     */
    Optional<Sample> baseline() {
        return last(s -> s.phase() == Phase.START);
    }

    /**
     * The last sample of a cycle's idle phase: what the allocator kept after the longest wait.
     *
     * @param cycle the cycle, from 1
     * @return the sample, empty if that phase was never sampled
     */
    Optional<Sample> idleEnd(final int cycle) {
        return last(s -> s.cycle() == cycle && s.phase() == Phase.IDLE);
    }

    /**
     * The last sample taken in a phase.
     *
     * @param phase the phase
     * @return the sample, empty if that phase was never sampled
     */
    Optional<Sample> lastOf(final Phase phase) {
        return last(s -> s.phase() == phase);
    }

    /**
     * A metric the child reported.
     *
     * @param name the metric's name
     * @return the metric, empty if the child did not report it
     */
    Optional<Metric> metric(final String name) {
        return metrics.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    private Optional<Sample> last(final Predicate<Sample> which) {
        for (int i = samples.size() - 1; i >= 0; i--) {
            if (which.test(samples.get(i))) {
                return Optional.of(samples.get(i));
            }
        }
        return Optional.empty();
    }
}
