package dev.pagoda.bench.workload;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The samples of one allocator's child process.
 *
 * @param allocator the allocator's name
 * @param samples   the samples in the order taken
 * @param exitCode  the child's exit status; 0 when it ran to the end
 */
record AllocatorRun(String allocator, List<Sample> samples, int exitCode) {
    AllocatorRun {
        samples = List.copyOf(samples);
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

    private Optional<Sample> last(final Predicate<Sample> which) {
        for (int i = samples.size() - 1; i >= 0; i--) {
            if (which.test(samples.get(i))) {
                return Optional.of(samples.get(i));
            }
        }
        return Optional.empty();
    }
}
