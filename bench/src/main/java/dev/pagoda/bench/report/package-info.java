/**
 * The results report of the benchmark suite: JMH's JSON results, the latency table and the workloads' CSV files
 * turned into one Markdown page with charts; see {@link dev.pagoda.bench.report.Report}.
 */
package dev.pagoda.bench.report;
