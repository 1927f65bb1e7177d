package dev.pagoda.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small reader of JSON text, enough for JMH's result files: objects become {@link LinkedHashMap}s (keys in
 * file order), arrays {@link List}s, numbers {@link Double}s, and {@code true}, {@code false} and {@code null}
 * themselves. JMH writes a score it could not compute as the string {@code "NaN"}; {@link #number(Object)}
 * reads that too.
 */
final class Json {
    private final String text;
    private int at;

    private Json(final String text) {
        this.text = text;
    }

    /**
     * Reads one JSON value that makes up the whole text.
     *
     * @param text the text
     * @return the value
     * @throws IllegalArgumentException if the text is not JSON
     */
    static Object parse(final String text) {
        final Json json = new Json(text);
        final Object value = json.value();
        json.blanks();
        if (json.at != text.length()) {
            throw json.error("end of text expected");
        }
        return value;
    }

    /**
     * A number read back: a {@link Number}, or a string such as {@code "NaN"} or {@code "Infinity"}.
     *
     * @param value a parsed value, or null
     * @return the number; NaN if the value is neither
     */
    static double number(final Object value) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof String s) {
            try {
                return Double.parseDouble(s);
            } catch (final NumberFormatException notANumber) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    private Object value() {
        blanks();
        if (at >= text.length()) {
            throw error("value expected");
        }
        final char c = text.charAt(at);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> word("true", Boolean.TRUE);
            case 'f' -> word("false", Boolean.FALSE);
            case 'n' -> word("null", null);
            default -> numberLiteral();
        };
    }

    private Map<String, Object> object() {
        final Map<String, Object> map = new LinkedHashMap<>();
        at++;
        blanks();
        if (peek('}')) {
            at++;
            return map;
        }
        while (true) {
            blanks();
            if (!peek('"')) {
                throw error("member name expected");
            }
            final String key = string();
            blanks();
            expect(':');
            map.put(key, value());
            blanks();
            if (peek(',')) {
                at++;
            } else {
                expect('}');
                return map;
            }
        }
    }

    private List<Object> array() {
        final List<Object> list = new ArrayList<>();
        at++;
        blanks();
        if (peek(']')) {
            at++;
            return list;
        }
        while (true) {
            list.add(value());
            blanks();
            if (peek(',')) {
                at++;
            } else {
                expect(']');
                return list;
            }
        }
    }

    private String string() {
        at++;
        final StringBuilder s = new StringBuilder();
        while (at < text.length()) {
            final char c = text.charAt(at++);
            if (c == '"') {
                return s.toString();
            }
            if (c != '\\') {
                s.append(c);
                continue;
            }
            if (at >= text.length()) {
                break;
            }
            final char e = text.charAt(at++);
            switch (e) {
                case 'b' -> s.append('\b');
                case 'f' -> s.append('\f');
                case 'n' -> s.append('\n');
                case 'r' -> s.append('\r');
                case 't' -> s.append('\t');
                case 'u' -> {
                    if (at + 4 > text.length()) {
                        throw error("short \\u escape");
                    }
                    s.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                }
                default -> s.append(e);
            }
        }
        throw error("unterminated string");
    }

    private Object word(final String word, final Object value) {
        if (!text.startsWith(word, at)) {
            throw error(word + " expected");
        }
        at += word.length();
        return value;
    }

    private Double numberLiteral() {
        final int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        try {
            return Double.valueOf(text.substring(start, at));
        } catch (final NumberFormatException e) {
            at = start;
            throw error("number expected");
        }
    }

    private void blanks() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    private boolean peek(final char c) {
        return at < text.length() && text.charAt(at) == c;
    }

    private void expect(final char c) {
        if (!peek(c)) {
            throw error("'" + c + "' expected");
        }
        at++;
    }

    private IllegalArgumentException error(final String what) {
        return new IllegalArgumentException("JSON: " + what + " at offset " + at);
    }
}
