package dev.pagoda.alloc;

import dev.pagoda.alloc.scavenge.Scavenger;
import dev.pagoda.os.Clock;
import dev.pagoda.os.FakeClock;
import dev.pagoda.os.OsMemory;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.management.Attribute;
import javax.management.MBeanServer;
import javax.management.Notification;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The heap's JFR events and its JMX MBean, read back through the JDK's own APIs. */
class ObservabilityTest {
    private static final long PAGE = 8192;
    private static final long GENERATION = Scavenger.GENERATION_MS * 1_000_000L;

    @Test
    void shouldRecordGrowthScavengerCyclesAndTheLimitInJfr(@TempDir final Path dir) throws Exception {
        final FakeClock clock = Clock.fake(0);
        final Path file = dir.resolve("pagoda.jfr");
        try (Recording recording = new Recording()) {
            recording.enable("dev.pagoda.HeapGrowth");
            recording.enable("dev.pagoda.ScavengerCycle");
            recording.enable("dev.pagoda.MemoryLimitReached");
            recording.start();
            try (PageHeap heap = PageHeap.builder().os(OsMemory.simulated()).zeroing(false).pageCaches(false)
                    .backgroundScavenger(false).clock(clock).name("observed").memoryLimit(600 * PAGE).build()) {
                final long a = heap.allocate(500);
                heap.free(a);
                for (int i = 0; i < 3; i++) {
                    clock.advance(GENERATION);
                    heap.scavenge();
                }
                assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(700));
            }
            recording.stop();
            recording.dump(file);
        }
        final List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        final RecordedEvent growth = events.stream()
                .filter(e -> e.getEventType().getName().equals("dev.pagoda.HeapGrowth")).findFirst().orElseThrow();
        assertEquals("observed", growth.getString("heap"));
        assertEquals(512 * PAGE, growth.getLong("mappedBytes"));
        assertTrue(growth.getBoolean("newArena"));
        final RecordedEvent cycle = only(events, "dev.pagoda.ScavengerCycle");
        assertEquals(500 * PAGE, cycle.getLong("releasedBytes"), "live 0: every free resident page goes");
        assertTrue(cycle.getBoolean("goalMet"));
        final RecordedEvent limit = only(events, "dev.pagoda.MemoryLimitReached");
        assertEquals(700 * PAGE, limit.getLong("requestedBytes"));
        assertEquals(600 * PAGE, limit.getLong("limitBytes"));
        assertTrue(limit.getBoolean("failed"));
    }

    @Test
    void shouldRecordReclaimRoundsInJfrAndJmx(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("reclaim.jfr");
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        final ObjectName name = new ObjectName("dev.pagoda:type=Heap,name=" + ObjectName.quote("reclaim-test"));
        try (Recording recording = new Recording()) {
            recording.enable("dev.pagoda.MemoryReclaim");
            recording.start();
            try (Heap heap = Heap.builder().os(OsMemory.simulated()).zeroing(false).backgroundScavenger(false)
                    .name("reclaim-test").memoryLimit(600 * PAGE).build()) {
                final long[] held = {heap.allocate(500 * PAGE)};
                heap.onMemoryPressure(wanted -> {
                    if (held[0] == 0) {
                        return 0;
                    }
                    heap.free(held[0]);
                    held[0] = 0;
                    return 500 * PAGE;
                });
                final long b = heap.allocate(300 * PAGE); // lacks 200 pages: the reclaimer frees 500
                assertThrows(PagodaOutOfMemoryError.class, () -> heap.allocate(400 * PAGE), "nothing left to free");
                assertEquals(2L, server.getAttribute(name, "ReclaimRounds"));
                assertEquals(500 * PAGE, server.getAttribute(name, "ReclaimedBytes"));
                assertEquals(1L, server.getAttribute(name, "ReclaimFailedAllocations"));
                assertEquals(heap.stats().reclaims().rounds(), heap.stats().pages().reclaims().rounds());
                heap.free(b);
            }
            recording.stop();
            recording.dump(file);
        }
        final List<RecordedEvent> rounds = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("dev.pagoda.MemoryReclaim")).toList();
        assertEquals(2, rounds.size(), rounds::toString);
        assertEquals("reclaim-test", rounds.getFirst().getString("heap"));
        assertEquals(200 * PAGE, rounds.getFirst().getLong("wantedBytes"));
        assertEquals(500 * PAGE, rounds.getFirst().getLong("reclaimedBytes"));
        assertEquals(1, rounds.getFirst().getInt("reclaimersCalled"));
        assertEquals(0, rounds.get(1).getLong("reclaimedBytes"));
    }

    private static RecordedEvent only(final List<RecordedEvent> events, final String name) {
        final List<RecordedEvent> matching = events.stream().filter(e -> e.getEventType().getName().equals(name))
                .toList();
        assertEquals(1, matching.size(), () -> name + " events: " + matching);
        return matching.getFirst();
    }

    @Test
    void shouldPublishEachOpenHeapAsAnMBean() throws Exception {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        final ObjectName name = new ObjectName("dev.pagoda:type=Heap,name=" + ObjectName.quote("jmx-test"));
        try (Heap heap = Heap.builder().name("jmx-test").backgroundScavenger(false).build()) {
            assertTrue(server.isRegistered(name));
            final long a = heap.allocate(1 << 20);
            assertEquals(heap.stats().pages().allocatedBytes(), server.getAttribute(name, "AllocatedBytes"));
            assertEquals(0L, server.getAttribute(name, "TotalSmallAllocations"), "a page run is no small object");
            final long small = heap.allocate(100);
            heap.free(heap.allocate(100));
            final long larger = heap.allocate(4000);
            final long largerClass = heap.usableSize(larger);
            heap.free(larger);
            assertEquals(3L, server.getAttribute(name, "TotalSmallAllocations"), "cumulative: frees do not count");
            assertEquals(2 * heap.usableSize(small) + largerClass,
                    server.getAttribute(name, "TotalSmallAllocationBytes"), "each object at its size class");
            heap.free(small);
            assertEquals("jmx-test", server.getAttribute(name, "Name"));
            server.setAttribute(name, new Attribute("MemoryTarget", 64L << 20));
            assertEquals(64L << 20, heap.memoryTarget(), "the target set through JMX is the heap's");
            server.setAttribute(name, new Attribute("MemoryLimit", 1L << 30));
            assertEquals(1L << 30, heap.memoryLimit());
            assertEquals(heap.hugePages().inForce().name(), server.getAttribute(name, "HugePagePolicy"));
            assertTrue((Long) server.getAttribute(name, "ResidentBytes") >= 0);
            assertTrue((Long) server.getAttribute(name, "ProcessRssBytes") > 0);
            heap.free(a);
            final long released = (Long) server.invoke(name, "releaseToOs", null, null);
            assertTrue(released >= 1 << 20, () -> "released " + released);
            assertEquals(heap.stats().pages().scavenger().releasedOnDemandBytes(),
                    server.getAttribute(name, "ReleasedOnDemandBytes"));
            final IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class,
                    () -> Heap.builder().name("jmx-test").build());
            assertTrue(duplicate.getMessage().contains("unique"), duplicate.getMessage());
        }
        assertFalse(server.isRegistered(name), "closing the heap unregisters it");
        try (Heap quiet = Heap.builder().name("jmx-test").jmx(false).build()) {
            assertFalse(server.isRegistered(name));
            assertEquals("jmx-test", quiet.name());
        }
    }

    @Test
    void shouldSendTheFinalCountersOnceAsTheHeapCloses() throws Exception {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        final ObjectName name = new ObjectName("dev.pagoda:type=Heap,name=" + ObjectName.quote("jmx-closing"));
        final List<Notification> received = new CopyOnWriteArrayList<>();
        final Heap heap = Heap.builder().name("jmx-closing").backgroundScavenger(false).build();
        final long objectBytes;
        final PageHeapStats last;
        try {
            server.addNotificationListener(name, (n, handback) -> received.add(n), null, null);
            final long a = heap.allocate(64);
            objectBytes = heap.usableSize(a);
            heap.free(a);
            heap.free(heap.allocate(64));
            heap.allocate(1 << 20); // left for close() to take back: the final figures still show it
            last = heap.stats().pages();
        } finally {
            heap.close();
        }
        heap.close();
        assertEquals(1, received.size(), () -> "one notification, however often close() runs: " + received);
        final Notification n = received.getFirst();
        assertEquals(HeapMXBean.CLOSE_NOTIFICATION, n.getType());
        assertEquals(name, n.getSource());
        final CompositeData totals = (CompositeData) n.getUserData();
        assertEquals(2L, totals.get("TotalSmallAllocations"));
        assertEquals(2 * objectBytes, totals.get("TotalSmallAllocationBytes"));
        assertEquals(last.readyBytes(), totals.get("ReadyBytes"));
        assertEquals(last.allocatedBytes(), totals.get("AllocatedBytes"));
        assertTrue(last.allocatedBytes() >= 1 << 20, last::toString);
        assertEquals(last.releasedBytes(), totals.get("ReleasedBytes"));
        assertFalse(server.isRegistered(name));
    }

    @Test
    @SuppressWarnings("restricted")
    void shouldMeasureResidencyOfTheHeapsOwnRanges() {
        try (Heap heap = Heap.builder().backgroundScavenger(false).jmx(false).build()) {
            final long a = heap.allocate(8L << 20);
            java.lang.foreign.MemorySegment.ofAddress(a).reinterpret(8L << 20).fill((byte) 1);
            final HeapResidency r = heap.residency();
            assertTrue(r.residentBytes() >= 8L << 20, r::toString);
            assertTrue(r.residentBytes() <= r.mappedBytes(), r::toString);
            assertTrue(r.processRssBytes() >= r.residentBytes(), r::toString);
            heap.free(a);
            heap.releaseToOs();
            assertTrue(heap.residency().residentBytes() < 1L << 20, () -> heap.residency().toString());
        }
    }
}
