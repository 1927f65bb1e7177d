package dev.pagoda.os.port;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@link RangeStates} against a model that keeps one code per address: random assignments (removals included), and
 * after each step every query compared, and the runs checked maximal.
 */
class RangeStatesTest {
    private static final int SPAN = 300;
    private static final long BASE = 1L << 40;

    @Test
    void shouldAgreeWithAnAddressByAddressModel() {
        for (long seed = 1; seed <= 40; seed++) {
            run(new SplittableRandom(seed), 400);
        }
    }

    private static void run(final SplittableRandom random, final int steps) {
        final RangeStates states = new RangeStates();
        final int[] model = new int[SPAN];
        for (int step = 0; step < steps; step++) {
            final int from = random.nextInt(SPAN);
            final int to = from + 1 + random.nextInt(Math.min(SPAN - from, random.nextBoolean() ? 8 : SPAN));
            final int code = random.nextInt(5) == 0 ? RangeStates.ABSENT : 1 + random.nextInt(3);
            states.assign(BASE + from, BASE + to, code);
            for (int a = from; a < to; a++) {
                model[a] = code;
            }
            check(states, model, random);
        }
    }

    private static void check(final RangeStates states, final int[] model, final SplittableRandom random) {
        int runs = 0;
        for (int a = 0; a < SPAN; a++) {
            assertEquals(model[a], states.codeAt(BASE + a), "code at " + a);
            if (model[a] != RangeStates.ABSENT && (a == 0 || model[a - 1] != model[a])) {
                runs++;
            }
        }
        assertEquals(ABSENT_OUTSIDE, states.codeAt(BASE - 1));
        assertEquals(ABSENT_OUTSIDE, states.codeAt(BASE + SPAN));
        assertEquals(runs, states.runCount(), "runs must be maximal");
        final int from = random.nextInt(SPAN);
        final int to = from + 1 + random.nextInt(SPAN - from);
        final long[] perCode = new long[16];
        final long[] expected = new long[16];
        states.subtractBytes(BASE + from, BASE + to, perCode);
        for (int code = 0; code < 16; code++) {
            long bytes = 0;
            for (int a = from; a < to; a++) {
                bytes += model[a] == code ? 1 : 0;
            }
            assertEquals(bytes, states.bytesWith(BASE + from, BASE + to, code), "bytes with code " + code);
        }
        for (int a = from; a < to; a++) {
            if (model[a] != RangeStates.ABSENT) {
                expected[model[a]] -= 1;
            }
        }
        assertArrayEquals(expected, perCode);
        final int mask = random.nextInt(1 << 4);
        final RangeStates.Run bad = states.firstOutside(BASE + from, BASE + to, mask);
        int first = from;
        while (first < to && (mask & (1 << model[first])) != 0) {
            first++;
        }
        if (first == to) {
            assertNull(bad);
        } else {
            int last = first;
            while (last < to && model[last] == model[first]) {
                last++;
            }
            assertEquals(new RangeStates.Run(BASE + first, BASE + last, model[first]), bad);
        }
    }

    private static final int ABSENT_OUTSIDE = RangeStates.ABSENT;
}
