package dev.pagoda.bench.report;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Which results compare Pagoda with a peer. The benchmark methods of this module are named
 * {@code <case>_<implementation>}: the text after the last underscore names the implementation
 * ({@code pagoda}, {@code netty}, {@code malloc}, {@code arena}, {@code calloc}, ...), the text before it the
 * case they share ({@code t1_noZero}, {@code batch_noZero}, {@code fresh}, ...). A result is Pagoda's when its
 * implementation starts with {@code pagoda}; its peers are the other results of the same class, case, parameter
 * values and mode whose implementation does not. The best peer is the fastest (lowest time, or highest
 * throughput), and the ratio is Pagoda's score over the best peer's: below 1 Pagoda takes less time per
 * operation, above 1 more (for throughput the reverse). Methods without an underscore ({@code segmentFill}) or
 * without a peer in their case ({@code released_pagoda}) get no ratio.
 */
final class Peers {
    private Peers() {
    }

    /**
     * The case of a method: the text before its last underscore.
     *
     * @param method the method's name
     * @return the case, empty if the name has no underscore
     */
    static Optional<String> caseOf(final String method) {
        final int u = method.lastIndexOf('_');
        return u <= 0 || u == method.length() - 1 ? Optional.empty() : Optional.of(method.substring(0, u));
    }

    /**
     * The implementation of a method: the text after its last underscore, or the whole name if none.
     *
     * @param method the method's name
     * @return for example {@code "pagoda"}
     */
    static String implementationOf(final String method) {
        return method.substring(method.lastIndexOf('_') + 1);
    }

    /**
     * Whether a method measures Pagoda.
     *
     * @param method the method's name
     * @return whether its implementation starts with {@code pagoda}
     */
    static boolean isPagoda(final String method) {
        return implementationOf(method).toLowerCase(Locale.ROOT).startsWith("pagoda");
    }

    /**
     * The best peer of a Pagoda result.
     *
     * @param pagoda a result
     * @param all    every result of the run
     * @return the best peer; empty if the result is not Pagoda's or has no peer with a score
     */
    static Optional<Score> bestPeer(final Score pagoda, final List<Score> all) {
        final Optional<String> theCase = caseOf(pagoda.method());
        if (theCase.isEmpty() || !isPagoda(pagoda.method())) {
            return Optional.empty();
        }
        Score best = null;
        for (final Score s : all) {
            if (s.benchmarkClass().equals(pagoda.benchmarkClass()) && theCase.equals(caseOf(s.method()))
                    && !isPagoda(s.method()) && s.params().equals(pagoda.params())
                    && Objects.equals(s.mode(), pagoda.mode()) && !Double.isNaN(s.score())
                    && (best == null || (pagoda.higherIsBetter() ? s.score() > best.score()
                    : s.score() < best.score()))) {
                best = s;
            }
        }
        return Optional.ofNullable(best);
    }
}
