/**
 * The JFR events the engine emits ({@link HeapEvents}): {@code dev.pagoda.ScavengerCycle},
 * {@code dev.pagoda.MemoryLimitReached} and {@code dev.pagoda.HeapGrowth}. A leaf: it depends on nothing of
 * Pagoda's, so the page heap engine and the scavenger report through it without depending on the monitor.
 */
package dev.pagoda.alloc.events;
