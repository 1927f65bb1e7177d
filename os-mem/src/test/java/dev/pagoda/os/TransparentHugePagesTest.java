package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TransparentHugePagesTest {
    @TempDir
    Path root;

    static Stream<Arguments> enabledFormats() {
        return Stream.of(
                arguments("current, madvise selected", "always [madvise] never\n", ThpMode.MADVISE),
                arguments("current, always selected", "[always] madvise never\n", ThpMode.ALWAYS),
                arguments("current, never selected", "always madvise [never]\n", ThpMode.NEVER),
                arguments("old two options, always", "[always] never\n", ThpMode.ALWAYS),
                arguments("old two options, never", "always [never]\n", ThpMode.NEVER),
                arguments("bare word", "madvise", ThpMode.MADVISE),
                arguments("bare word with newline", "never\n", ThpMode.NEVER),
                arguments("bare word in white space", " \talways \n\n", ThpMode.ALWAYS),
                arguments("surrounding white space", "  always [madvise] never  \n\n", ThpMode.MADVISE),
                arguments("tabs between options", "always\t[madvise]\tnever", ThpMode.MADVISE),
                arguments("no newline", "always [madvise] never", ThpMode.MADVISE),
                arguments("empty", "", ThpMode.UNKNOWN),
                arguments("only white space", " \n\t", ThpMode.UNKNOWN),
                arguments("several options, none selected", "always madvise never\n", ThpMode.UNKNOWN),
                arguments("two selected", "[always] [madvise] never\n", ThpMode.UNKNOWN),
                arguments("unknown option selected", "always [sometimes] never\n", ThpMode.UNKNOWN),
                arguments("unknown bare word", "garbage\n", ThpMode.UNKNOWN),
                arguments("empty brackets", "always [] never\n", ThpMode.UNKNOWN),
                arguments("only brackets", "[]", ThpMode.UNKNOWN),
                arguments("stray bracket", "[madvise\n", ThpMode.UNKNOWN),
                arguments("nested brackets", "[[madvise]]\n", ThpMode.UNKNOWN),
                arguments("upper case", "always [MADVISE] never\n", ThpMode.UNKNOWN),
                arguments("binary", "\u0000\u0001\u00ff", ThpMode.UNKNOWN));
    }

    static Stream<Arguments> defragFormats() {
        return Stream.of(
                arguments("current, always", "[always] defer defer+madvise madvise never\n", ThpDefrag.ALWAYS),
                arguments("current, defer", "always [defer] defer+madvise madvise never\n", ThpDefrag.DEFER),
                arguments("current, defer+madvise", "always defer [defer+madvise] madvise never\n",
                        ThpDefrag.DEFER_MADVISE),
                arguments("current, madvise", "always defer defer+madvise [madvise] never\n", ThpDefrag.MADVISE),
                arguments("current, never", "always defer defer+madvise madvise [never]\n", ThpDefrag.NEVER),
                arguments("4.6 to 4.10, defer", "always [defer] madvise never\n", ThpDefrag.DEFER),
                arguments("before 4.6, madvise", "always [madvise] never\n", ThpDefrag.MADVISE),
                arguments("old two options", "[always] never\n", ThpDefrag.ALWAYS),
                arguments("bare word", "defer+madvise\n", ThpDefrag.DEFER_MADVISE),
                arguments("surrounding white space", "\n  always defer defer+madvise [madvise] never \n",
                        ThpDefrag.MADVISE),
                arguments("empty", "", ThpDefrag.UNKNOWN),
                arguments("none selected", "always defer defer+madvise madvise never\n", ThpDefrag.UNKNOWN),
                arguments("two selected", "[always] [defer] never\n", ThpDefrag.UNKNOWN),
                arguments("unknown option", "always [defer+never] never\n", ThpDefrag.UNKNOWN),
                arguments("garbage", "1\n", ThpDefrag.UNKNOWN));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("enabledFormats")
    void shouldParseEnabled(final String name, final String text, final ThpMode expected) {
        assertEquals(expected, ThpMode.parse(text), name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("enabledFormats")
    void shouldReadEnabledFromSysfs(final String name, final String text, final ThpMode expected) {
        final Platform platform = new FakeRoot(root).write(Platform.THP_ENABLED, text).platform();
        assertEquals(expected, platform.thp().enabled(), name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("defragFormats")
    void shouldParseDefrag(final String name, final String text, final ThpDefrag expected) {
        assertEquals(expected, ThpDefrag.parse(text), name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("defragFormats")
    void shouldReadDefragFromSysfs(final String name, final String text, final ThpDefrag expected) {
        final Platform platform = new FakeRoot(root).write(Platform.THP_DEFRAG, text).platform();
        assertEquals(expected, platform.thp().defrag(), name);
    }

    @Test
    void shouldReportUnknownWhenFilesAreMissing() {
        final TransparentHugePages thp = new FakeRoot(root).platform().thp();
        assertEquals(ThpMode.UNKNOWN, thp.enabled());
        assertEquals(ThpDefrag.UNKNOWN, thp.defrag());
        assertEquals(OptionalInt.empty(), thp.maxPtesNone());
        assertEquals(TransparentHugePages.unknown(), thp);
        assertFalse(thp.madviseHugePagesWork());
    }

    @Test
    void shouldParseNullAsUnknown() {
        assertEquals(ThpMode.UNKNOWN, ThpMode.parse(null));
        assertEquals(ThpDefrag.UNKNOWN, ThpDefrag.parse(null));
    }

    @Test
    void shouldFallBackToRhel6Location() {
        final TransparentHugePages thp = new FakeRoot(root)
                .write(Platform.RHEL_THP_ENABLED, "[always] madvise never\n")
                .write(Platform.RHEL_THP_DEFRAG, "always [madvise] never\n")
                .write(Platform.RHEL_THP_MAX_PTES_NONE, "511\n")
                .platform().thp();
        assertEquals(ThpMode.ALWAYS, thp.enabled());
        assertEquals(ThpDefrag.MADVISE, thp.defrag());
        assertEquals(OptionalInt.of(511), thp.maxPtesNone());
    }

    @Test
    void shouldPreferMainlineLocationOverRhel6() {
        final TransparentHugePages thp = new FakeRoot(root)
                .write(Platform.THP_ENABLED, "always madvise [never]\n")
                .write(Platform.RHEL_THP_ENABLED, "[always] madvise never\n")
                .write(Platform.THP_DEFRAG, "always defer defer+madvise madvise [never]\n")
                .write(Platform.RHEL_THP_DEFRAG, "[always] madvise never\n")
                .platform().thp();
        assertEquals(ThpMode.NEVER, thp.enabled());
        assertEquals(ThpDefrag.NEVER, thp.defrag());
    }

    @Test
    void shouldNotFallBackWhenMainlineFileIsMalformed() {
        final TransparentHugePages thp = new FakeRoot(root)
                .write(Platform.THP_ENABLED, "garbage\n")
                .write(Platform.RHEL_THP_ENABLED, "[always] madvise never\n")
                .platform().thp();
        assertEquals(ThpMode.UNKNOWN, thp.enabled());
    }

    static Stream<Arguments> maxPtesNoneValues() {
        return Stream.of(
                arguments("511\n", OptionalInt.of(511)),
                arguments("0\n", OptionalInt.of(0)),
                arguments(" 64 ", OptionalInt.of(64)),
                arguments("-1\n", OptionalInt.empty()),
                arguments("abc\n", OptionalInt.empty()),
                arguments("", OptionalInt.empty()),
                arguments("99999999999\n", OptionalInt.empty()),
                arguments("5 11\n", OptionalInt.empty()));
    }

    @ParameterizedTest
    @MethodSource("maxPtesNoneValues")
    void shouldReadMaxPtesNone(final String text, final OptionalInt expected) {
        final Platform platform = new FakeRoot(root).write(Platform.THP_MAX_PTES_NONE, text).platform();
        assertEquals(expected, platform.thp().maxPtesNone());
    }

    @Test
    void shouldTellWhetherMadviseHugePagesWork() {
        assertTrue(thp(ThpMode.ALWAYS).madviseHugePagesWork());
        assertTrue(thp(ThpMode.MADVISE).madviseHugePagesWork());
        assertFalse(thp(ThpMode.NEVER).madviseHugePagesWork());
        assertFalse(thp(ThpMode.UNKNOWN).madviseHugePagesWork());
        assertTrue(thp(ThpMode.ALWAYS).hugePagesByDefault());
        assertFalse(thp(ThpMode.MADVISE).hugePagesByDefault());
    }

    @Test
    void shouldPrintSettingsInKernelWords() {
        assertEquals("enabled=madvise, defrag=defer+madvise, max_ptes_none=511",
                new TransparentHugePages(ThpMode.MADVISE, ThpDefrag.DEFER_MADVISE, OptionalInt.of(511)).toString());
        assertEquals("enabled=unknown, defrag=unknown, max_ptes_none=unknown",
                TransparentHugePages.unknown().toString());
    }

    @Test
    void shouldRejectNullComponents() {
        assertThrows(NullPointerException.class,
                () -> new TransparentHugePages(null, ThpDefrag.NEVER, OptionalInt.empty()));
        assertThrows(NullPointerException.class,
                () -> new TransparentHugePages(ThpMode.NEVER, null, OptionalInt.empty()));
        assertThrows(NullPointerException.class, () -> new TransparentHugePages(ThpMode.NEVER, ThpDefrag.NEVER, null));
    }

    @Test
    void shouldShareUnknownInstance() {
        assertSame(TransparentHugePages.unknown(), TransparentHugePages.unknown());
    }

    private static TransparentHugePages thp(final ThpMode mode) {
        return new TransparentHugePages(mode, ThpDefrag.UNKNOWN, OptionalInt.empty());
    }
}
