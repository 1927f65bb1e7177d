package dev.pagoda.bench.vmcache;

import java.util.SplittableRandom;

/**
 * Zipf-distributed page ids without garbage: rank {@code k} (from 1) of {@code n} is drawn with probability
 * proportional to {@code 1 / k^s}, by a binary search of a cumulative table computed once ({@code n} doubles), and
 * mapped to a page id through a fixed random permutation, so that the hot pages are spread over the file rather
 * than packed at its start (where read-ahead and adjacent-page eviction would favour them).
 */
public final class Zipf {
    private final double[] cumulative;
    private final int[] pageOfRank;

    /**
     * A generator over {@code n} pages.
     *
     * @param n        pages, at least 1
     * @param exponent the skew {@code s}, at least 0 (0 is uniform; YCSB's default is 0.99)
     * @param permutationSeed the seed of the rank-to-page permutation: generators with the same seed agree on
     *                 which pages are hot
     */
    public Zipf(final int n, final double exponent, final long permutationSeed) {
        if (n < 1 || !(exponent >= 0)) {
            throw new IllegalArgumentException("n=" + n + ", exponent=" + exponent);
        }
        cumulative = new double[n];
        double sum = 0;
        for (int k = 1; k <= n; k++) {
            sum += 1 / Math.pow(k, exponent);
            cumulative[k - 1] = sum;
        }
        for (int i = 0; i < n; i++) {
            cumulative[i] /= sum;
        }
        cumulative[n - 1] = 1.0;
        pageOfRank = new int[n];
        for (int i = 0; i < n; i++) {
            pageOfRank[i] = i;
        }
        final SplittableRandom shuffle = new SplittableRandom(permutationSeed);
        for (int i = n - 1; i > 0; i--) {
            final int j = shuffle.nextInt(i + 1);
            final int t = pageOfRank[i];
            pageOfRank[i] = pageOfRank[j];
            pageOfRank[j] = t;
        }
    }

    /**
     * The rank, from 0, of a uniform variate: the first rank whose cumulative probability exceeds it.
     *
     * @param u a number in {@code [0, 1)}
     * @return the rank, in {@code [0, n)}
     */
    int rank(final double u) {
        int lo = 0;
        int hi = cumulative.length - 1;
        while (lo < hi) {
            final int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > u) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /**
     * Draws a page id.
     *
     * @param random the source of uniform variates
     * @return a page id in {@code [0, n)}
     */
    public int next(final SplittableRandom random) {
        return pageOfRank[rank(random.nextDouble())];
    }

    /**
     * The probability mass of the {@code k} most frequent pages: the hit ratio an ideal cache of {@code k} pages
     * would reach.
     *
     * @param k pages, at least 1
     * @return the mass, in {@code (0, 1]}
     */
    public double topMass(final int k) {
        return cumulative[Math.min(k, cumulative.length) - 1];
    }
}
