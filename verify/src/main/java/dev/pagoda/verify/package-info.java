/**
 * Pagoda's verification kit: oracles that observe the real kernel and reference models that are slow but
 * obviously right, against which the property, stress and fault-injection tests of this module check the
 * fast code.
 *
 * <p>The principle is that no component checks itself. {@code OsMemory} keeps its own map of page states;
 * {@link dev.pagoda.verify.ProcMaps} reads what the kernel actually mapped, with which permissions, from
 * {@code /proc/self/maps}, and {@code Platform.residency} asks {@code mincore} which pages are resident.
 * The property tests drive the simulated and the real port with the same random sequences of
 * operations and demand that both agree with each other, that the kernel agrees with both, and that both
 * reject the same illegal transitions.
 *
 * <p>The page allocator is checked the same way: {@link dev.pagoda.verify.ReferencePageAlloc} keeps the
 * heap's pages in plain bit sets and searches them with plain loops, and {@link dev.pagoda.verify.SlowSummary}
 * summarises a bitmap bit by bit; the property tests run {@code PageAlloc} and its bitmap and summary code
 * against them.
 */
package dev.pagoda.verify;
