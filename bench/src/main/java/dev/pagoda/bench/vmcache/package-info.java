/**
 * The vmcache buffer pool ({@code dev.pagoda.pool.BufferPool}) and its peers behind one interface,
 * {@link dev.pagoda.bench.vmcache.PageStore}, with the data file and the access mixes the benchmarks share:
 * {@code VmcacheBenchmark} (JMH, operations per second) and {@code VmcacheWorkload} (each peer in its own JVM:
 * latency and resident memory).
 */
package dev.pagoda.bench.vmcache;
