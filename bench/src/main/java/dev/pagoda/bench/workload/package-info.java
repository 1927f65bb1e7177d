/**
 * Long-running workloads that measure what a benchmark of single operations cannot: how much memory an
 * allocator keeps from the OS over time. Each allocator runs in its own child JVM, because the resident set is
 * a property of the whole process; see {@link dev.pagoda.bench.workload.BurstIdleWorkload}.
 */
package dev.pagoda.bench.workload;
