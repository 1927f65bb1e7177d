package dev.pagoda.pool.engine;

import dev.pagoda.os.Platform;
import dev.pagoda.pool.BufferPoolMXBean;
import dev.pagoda.pool.BufferPoolStats;

import java.lang.management.ManagementFactory;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * The {@link BufferPoolMXBean} of one pool, registered while the pool is open. Every attribute is read from the
 * engine when asked; nothing is sampled in the background.
 */
public final class PoolMonitor implements BufferPoolMXBean {
    private final PoolEngine engine;
    private final ObjectName objectName;

    private PoolMonitor(final PoolEngine engine, final ObjectName objectName) {
        this.engine = engine;
        this.objectName = objectName;
    }

    /**
     * Registers a monitor for {@code engine} under its name.
     *
     * @param engine the pool's engine
     * @return the registered monitor
     * @throws IllegalArgumentException if the name is taken by another open pool
     */
    public static PoolMonitor register(final PoolEngine engine) {
        final String name = engine.config().name();
        final ObjectName objectName;
        try {
            objectName = new ObjectName("dev.pagoda:type=BufferPool,name=" + ObjectName.quote(name));
        } catch (final JMException e) {
            throw new IllegalArgumentException("name cannot be a JMX name: name=" + name, e);
        }
        final PoolMonitor monitor = new PoolMonitor(engine, objectName);
        try {
            ManagementFactory.getPlatformMBeanServer().registerMBean(monitor, objectName);
        } catch (final InstanceAlreadyExistsException e) {
            throw new IllegalArgumentException("name must be unique among open pools with JMX on: a pool named '"
                    + name + "' is registered already", e);
        } catch (final JMException e) {
            throw new IllegalStateException("could not register the pool's MBean " + objectName, e);
        }
        return monitor;
    }

    /** Unregisters the monitor; idempotent. */
    public void unregister() {
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(objectName);
        } catch (final JMException ignored) {
            // not registered any more: nothing to undo
        }
    }

    private BufferPoolStats stats() {
        return engine.stats();
    }

    @Override
    public String getName() {
        return engine.config().name();
    }

    @Override
    public String getFile() {
        return engine.config().file().toString();
    }

    @Override
    public long getPageSize() {
        return engine.config().pageSize();
    }

    @Override
    public long getPageCount() {
        return engine.pageCount();
    }

    @Override
    public long getMaxPages() {
        return engine.config().maxPages();
    }

    @Override
    public long getMemoryBudget() {
        return engine.budgetFrames() * engine.config().pageSize();
    }

    @Override
    public long getResidentBytes() {
        return stats().residentBytes();
    }

    @Override
    public long getResidentBytesByMincore() {
        try {
            return engine.residency().residentPages() * Platform.current().pageSize();
        } catch (final IllegalStateException closed) {
            return -1;
        }
    }

    @Override
    public long getDirtyPages() {
        return stats().dirtyPages();
    }

    @Override
    public long getLockedPages() {
        return stats().lockedPages();
    }

    @Override
    public long getHits() {
        return stats().hits();
    }

    @Override
    public long getMisses() {
        return stats().misses();
    }

    @Override
    public long getReads() {
        return stats().reads();
    }

    @Override
    public long getWrites() {
        return stats().writes();
    }

    @Override
    public long getEvictions() {
        return stats().evictions();
    }

    @Override
    public long flush() {
        return engine.flush();
    }
}
