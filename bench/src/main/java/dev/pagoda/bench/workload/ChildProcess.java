package dev.pagoda.bench.workload;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one allocator's child JVM for a workload and reads what it reports: each line of its standard output
 * is a {@link Sample} or a {@link Metric}; any other line, and its standard error, goes to this process's
 * standard error.
 */
final class ChildProcess {
    /** The child's Java heap: enough for Netty's buffer objects, small beside the working set. */
    private static final String CHILD_HEAP = "-Xmx512m";

    private ChildProcess() {
    }

    /**
     * Starts the child, reads it to its end and waits for it.
     *
     * @param allocator        the allocator's name, the child's first argument
     * @param main             the child's main class
     * @param maxDirectBytes   the child's {@code -XX:MaxDirectMemorySize}
     * @param systemProperties {@code -Dkey=value} options for the child, after those every child gets
     * @param args             the child's arguments after the allocator's name
     * @return the samples, the metrics and the exit status
     * @throws IOException          if the child cannot be started
     * @throws InterruptedException if interrupted while waiting for it
     */
    static AllocatorRun run(final String allocator, final Class<?> main, final long maxDirectBytes,
                            final List<String> systemProperties, final List<String> args)
            throws IOException, InterruptedException {
        final Process child = new ProcessBuilder(command(allocator, main, maxDirectBytes, systemProperties, args))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        final List<Sample> samples = new ArrayList<>();
        final List<Metric> metrics = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                final Metric metric = Metric.fromLine(line);
                if (metric != null) {
                    metrics.add(metric);
                    continue;
                }
                try {
                    samples.add(Sample.fromCsv(line));
                } catch (final IllegalArgumentException notASample) {
                    System.err.println(allocator + ": " + line);
                }
            }
        }
        final int status = child.waitFor();
        if (status != 0) {
            System.err.println(allocator + "'s process exited with status " + status);
        }
        return new AllocatorRun(allocator, samples, metrics, status);
    }

    /**
     * The child's command line: this JVM's {@code java} and class path, native access for the FFM calls, and
     * room for the workload as direct memory. Netty 4.2 on Java 25 does not use the JDK-internal memory-access class; with
     * native access granted it takes its direct memory from {@code malloc} through FFM and frees it explicitly.
     */
    private static List<String> command(final String allocator, final Class<?> main, final long maxDirectBytes,
                                        final List<String> systemProperties, final List<String> args) {
        final String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        final List<String> command = new ArrayList<>(List.of(java,
                "--enable-native-access=ALL-UNNAMED",
                CHILD_HEAP,
                "-XX:MaxDirectMemorySize=" + maxDirectBytes,
                // Netty samples buffers for its leak detector; no leak is sought here.
                "-Dio.netty.leakDetection.level=disabled"));
        command.addAll(systemProperties);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName(), allocator));
        command.addAll(args);
        return command;
    }

    /**
     * Writes the samples of every run to one CSV file, with the allocator as first column.
     *
     * @param runs the runs
     * @param csv  the file
     * @throws IOException if it cannot be written
     */
    static void writeSamples(final List<AllocatorRun> runs, final Path csv) throws IOException {
        try (Writer w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            w.write("allocator," + Sample.CSV_HEADER + "\n");
            for (final AllocatorRun run : runs) {
                for (final Sample s : run.samples()) {
                    w.write(run.allocator() + "," + s.toCsv() + "\n");
                }
            }
        }
    }
}
