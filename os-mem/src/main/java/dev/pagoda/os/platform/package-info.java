/**
 * Reading the machine's facts for {@link dev.pagoda.os.Platform}: each fact has a documented source, a file
 * under {@code /sys} or {@code /proc}, a system call or a {@code sysctl}, and a documented "unknown" value for
 * when the source is missing or unreadable, as on Darwin, in containers that hide {@code /sys}, or on old
 * kernels. Reading facts never throws; only {@code mincore} reports a failure, since its caller asked about a
 * range that must be mapped.
 *
 * <h2>Files</h2>
 * {@link dev.pagoda.os.platform.SysFiles} reads the small text files (as Latin-1, so no byte is malformed) and
 * parses their few formats: a sysfs multiple-choice file with the selected option in brackets
 * ({@code "always [madvise] never"}), a number, a {@code "Key: value kB"} line. Where each fact lives, with
 * RHEL&nbsp;6's fallback locations for transparent huge pages, and how its text becomes a value is
 * {@link dev.pagoda.os.platform.FactFiles}; {@link dev.pagoda.os.platform.Smaps} sums the
 * {@code AnonHugePages} of the mappings in {@code /proc/self/smaps} that overlap a range. Every reader takes
 * the directory that stands for {@code /}, so tests lay out a fake tree.
 *
 * <h2>Calls</h2>
 * {@link dev.pagoda.os.platform.NativeFacts} asks the C library for what no file says: the page size
 * ({@code sysconf(_SC_PAGESIZE)} on Linux, {@code sysctlbyname("hw.pagesize")} on Darwin) and Darwin's kernel
 * release. {@link dev.pagoda.os.platform.Mincore} asks {@code mincore(2)} which pages of a range are resident,
 * a window of 65,536 pages at a time so that its vector stays small whatever the range.
 *
 * <p>This package uses {@code libc} and the values of {@code dev.pagoda.os} that {@code Platform} reports
 * ({@link dev.pagoda.os.TransparentHugePages}, {@link dev.pagoda.os.ThpMode}, {@link dev.pagoda.os.ThpDefrag},
 * {@link dev.pagoda.os.Overcommit}, {@link dev.pagoda.os.ProcessMemory}); the module does not export it.
 */
package dev.pagoda.os.platform;
