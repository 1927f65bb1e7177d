package dev.pagoda.bench.jmh;

import dev.pagoda.alloc.Heap;
import dev.pagoda.bench.jmh.HeapCensus.Counts;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ledger counts exactly the small objects allocated during its period, by heaps open throughout, opened, closed,
 * and reopened under the same name, read through real heaps' MBeans. Other heaps in this JVM are ignored by looking
 * at this test's heaps only.
 */
class HeapLedgerTest {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    @Test
    void countsEveryHeapsAllocationsDuringThePeriodWhateverItsLifetime() throws Exception {
        final Heap longLived = heap("ledger-long");
        final Heap reopened = heap("ledger-reopened");
        final Heap untouched = heap("ledger-untouched");
        final Heap closing = heap("ledger-closing");
        final List<Heap> opened = new ArrayList<>(List.of(longLived, reopened, untouched, closing));
        final long object64;
        final HeapLedger.Period period;
        try {
            allocateAndFree(longLived, 64, 3); // before the period: not counted
            allocateAndFree(reopened, 64, 7);
            closing.allocate(1 << 20); // still held when it closes: its level as it closed shows it
            final HeapLedger ledger = HeapLedger.begin(SERVER);
            closing.close();
            allocateAndFree(longLived, 64, 2);
            allocateAndFree(reopened, 64, 4);
            reopened.close(); // counted through its close notification: 4 objects, not 11
            try (Heap brief = heap("ledger-brief")) {
                allocateAndFree(brief, 1000, 5);
            }
            try (Heap again = heap("ledger-reopened")) {
                allocateAndFree(again, 64, 1); // a new heap under the old name: its own count
            }
            final Heap after = heap("ledger-reopened");
            opened.add(after);
            allocateAndFree(after, 64, 6); // reopened once more and open at the end: from zero, not from 11
            period = ledger.end();
            allocateAndFree(longLived, 64, 9); // after the period: not counted
            after.close(); // nor is this close, which no listener hears any more
            object64 = usable(longLived, 64);
        } finally {
            opened.forEach(Heap::close);
        }
        assertEquals(new Counts(2, 2 * object64), period.allocations().get(bean("ledger-long")));
        assertEquals(new Counts(4 + 1 + 6, (4 + 1 + 6) * object64), period.allocations().get(bean("ledger-reopened")));
        assertEquals(5, period.allocations().get(bean("ledger-brief")).objects());
        assertEquals(5 * 1024, period.allocations().get(bean("ledger-brief")).bytes(), "1000 B at the 1 KiB class");
        assertEquals(Counts.ZERO, period.allocations().get(bean("ledger-untouched")));
        assertEquals(4, period.heapsClosed(), "the closing heap, the reopened one twice and the brief one");
        assertEquals(Counts.ZERO, period.allocations().get(bean("ledger-closing")));
        assertTrue(period.heaps().containsKey(bean("ledger-long")));
        assertTrue(period.heaps().get(bean("ledger-closing")).liveBytes() >= 1 << 20,
                "open at the start, closed during the period: its levels as it closed");
        assertFalse(period.heaps().containsKey(bean("ledger-brief")), "opened and closed within: no level");
        assertEquals(6, period.heaps().get(bean("ledger-reopened")).counts().objects(),
                "under a reused name, the heap open at the end (6 so far), not the one that closed (11)");
    }

    @Test
    void readsTheLevelsOfEachOpenHeap() throws Exception {
        try (Heap heap = heap("ledger-levels")) {
            final long a = heap.allocate(64);
            final long run = heap.allocate(1 << 20);
            final HeapCensus.Reading r = HeapCensus.take(SERVER).heaps().get(bean("ledger-levels"));
            assertEquals(heap.stats().pages().allocatedBytes(), r.liveBytes());
            assertTrue(r.liveBytes() >= (1 << 20) + 8192, () -> "a span and the run: " + r);
            assertTrue(r.readyBytes() >= r.liveBytes(), r::toString);
            assertEquals(1, r.counts().objects(), "the page run is no small object");
            heap.free(a);
            heap.free(run);
        }
        assertNull(HeapCensus.take(SERVER).heaps().get(bean("ledger-levels")), "a closed heap is not read");
    }

    @Test
    void namesTheHeapAsItsBuilderDid() throws Exception {
        assertEquals("a \"quoted\", name", HeapCensus.heapName(bean("a \"quoted\", name")));
        assertEquals("plain", HeapCensus.heapName(new ObjectName("dev.pagoda:type=Heap,name=plain")));
    }

    private static Heap heap(final String name) {
        return Heap.builder().name(name).backgroundScavenger(false).build();
    }

    private static void allocateAndFree(final Heap heap, final long size, final int times) {
        for (int i = 0; i < times; i++) {
            heap.free(heap.allocate(size));
        }
    }

    private static long usable(final Heap heap, final long size) {
        final long a = heap.allocate(size);
        try {
            return heap.usableSize(a);
        } finally {
            heap.free(a);
        }
    }

    private static ObjectName bean(final String heapName) throws Exception {
        return new ObjectName("dev.pagoda:type=Heap,name=" + ObjectName.quote(heapName));
    }
}
