package dev.pagoda.bench.vmcache;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Zipf generator draws ranks with the right frequencies, and the access mix has the right share of updates. */
class ZipfTest {
    @Test
    void frequenciesFollowOneOverRankToTheS() {
        final int n = 1000;
        final double s = 0.99;
        final Zipf zipf = new Zipf(n, s, 1);
        double h = 0;
        for (int k = 1; k <= n; k++) {
            h += 1 / Math.pow(k, s);
        }
        final int[] count = new int[n];
        final SplittableRandom random = new SplittableRandom(7);
        final int draws = 2_000_000;
        for (int i = 0; i < draws; i++) {
            count[zipf.rank(random.nextDouble())]++;
        }
        for (final int rank : new int[] {0, 1, 9, 99}) {
            final double expected = draws / Math.pow(rank + 1, s) / h;
            assertEquals(expected, count[rank], 5 * Math.sqrt(expected), "rank " + rank);
        }
        assertEquals(1.0 / h, zipf.topMass(1), 1e-12);
        assertEquals(1.0, zipf.topMass(n), 0);
    }

    @Test
    void pagesArePermutedTheSameForEveryGenerator() {
        final Zipf a = new Zipf(500, 0.99, 3);
        final Zipf b = new Zipf(500, 0.99, 3);
        final boolean[] seen = new boolean[500];
        int distinct = 0;
        final SplittableRandom ra = new SplittableRandom(1);
        final SplittableRandom rb = new SplittableRandom(1);
        for (int i = 0; i < 100_000; i++) {
            final int p = a.next(ra);
            assertEquals(p, b.next(rb));
            if (!seen[p]) {
                seen[p] = true;
                distinct++;
            }
        }
        assertTrue(distinct > 400, "distinct pages " + distinct);
    }

    @Test
    void theMixHasItsShareOfUpdatesAndStaysInRange() {
        final int[] ops = AccessMix.draw(AccessMix.Distribution.UNIFORM, 300, 20, 5, 1 << 16);
        int updates = 0;
        for (final int op : ops) {
            final int pid = op & Integer.MAX_VALUE;
            assertTrue(pid < 300, "pid " + pid);
            updates += op < 0 ? 1 : 0;
        }
        assertEquals(0.2 * ops.length, updates, 0.01 * ops.length);
    }
}
