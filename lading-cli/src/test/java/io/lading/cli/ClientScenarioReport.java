package io.lading.cli;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The end-to-end suites' report: one line per client scenario as it ends, and after each suite class a
 * "clients: N passed, N failed" line counting every scenario run so far (so the last one covers them all).
 */
final class ClientScenarioReport implements TestWatcher, AfterAllCallback {
    private static final AtomicInteger PASSED = new AtomicInteger();
    private static final AtomicInteger FAILED = new AtomicInteger();

    @Override
    public void testSuccessful(ExtensionContext context) {
        PASSED.incrementAndGet();
        System.out.println("PASS clients: " + name(context));
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        FAILED.incrementAndGet();
        String why = String.valueOf(cause.getMessage()).lines().findFirst().orElse("");
        System.out.println("FAIL clients: " + name(context) + ": " + why);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        System.out.println("clients: " + PASSED.get() + " passed, " + FAILED.get() + " failed");
    }

    private static String name(ExtensionContext context) {
        return context.getRequiredTestClass().getSimpleName() + "." + context.getDisplayName();
    }
}
