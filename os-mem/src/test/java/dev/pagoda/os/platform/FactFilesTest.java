package dev.pagoda.os.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.pagoda.os.ThpDefrag;
import dev.pagoda.os.ThpMode;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The parsing of THP's sysfs files; {@code TransparentHugePagesTest} reads the same texts through {@code Platform}. */
class FactFilesTest {
    /** The formats of THP's {@code enabled} file, shared with {@code TransparentHugePagesTest}. */
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

    /** The formats of THP's {@code defrag} file, shared with {@code TransparentHugePagesTest}. */
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
        assertEquals(expected, FactFiles.parseThpMode(text), name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("defragFormats")
    void shouldParseDefrag(final String name, final String text, final ThpDefrag expected) {
        assertEquals(expected, FactFiles.parseThpDefrag(text), name);
    }

    @Test
    void shouldParseNullAsUnknown() {
        assertEquals(ThpMode.UNKNOWN, FactFiles.parseThpMode(null));
        assertEquals(ThpDefrag.UNKNOWN, FactFiles.parseThpDefrag(null));
    }
}
