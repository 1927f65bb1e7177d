package dev.pagoda.verify;

/** Temporary. */
public final class Placeholder {
    private Placeholder() {
    }
}
