package dev.pagoda.os;

/** Run by {@link SignalHookTest} in a child JVM started with {@code -Xrs}; prints what install does. */
final class SignalHookXrsMain {
    private SignalHookXrsMain() {
    }

    public static void main(final String[] args) {
        try (SignalHook hook = SignalHook.install("USR1", () -> { })) {
            System.out.println("installed " + hook);
        } catch (final RuntimeException ex) {
            System.out.println(ex);
        }
    }
}
