/**
 * Long-running workloads that measure what a benchmark of single operations cannot: how much memory an
 * allocator keeps from the OS over time, and how its latency tail looks under realistic churn. Each allocator
 * runs in its own child JVM, because the resident set is a property of the whole process. The workloads:
 * {@link dev.pagoda.bench.workload.BurstIdleWorkload} (allocate a burst, free most of it, idle),
 * {@link dev.pagoda.bench.workload.CacheChurnWorkload} (an off-heap key-value cache under gets, puts and
 * evictions from several threads) and {@link dev.pagoda.bench.workload.BufferPoolWorkload} (aligned pages pinned
 * and released while the working set grows and shrinks).
 */
package dev.pagoda.bench.workload;
