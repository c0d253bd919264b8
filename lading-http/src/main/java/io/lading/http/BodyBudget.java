package io.lading.http;

import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the heap held by request bodies that are read whole (manifests, up to 4 MiB each, and their parse): a
 * request takes its share before reading and waits, in arrival order, while others hold the budget. Without it,
 * a few dozen concurrent pushes of large manifests could exhaust a small heap; with it they queue.
 */
final class BodyBudget {
    private final int totalKib;
    private final Semaphore kib;

    BodyBudget(long bytes) {
        this.totalKib = kib(bytes);
        this.kib = new Semaphore(totalKib, true);
    }

    /** A held share of the budget; closing it gives it back. */
    interface Share extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Waits up to {@code wait} for {@code bytes} of the budget (all of it, when {@code bytes} is larger).
     *
     * @throws RegistryException TOOMANYREQUESTS when the budget stayed taken that long (bodies that arrive
     *                           slowly, or a flood of large ones): the client may retry
     */
    Share acquire(long bytes, Duration wait) throws InterruptedIOException {
        int n = Math.min(kib(bytes), totalKib);
        try {
            if (!kib.tryAcquire(n, wait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new RegistryException(ErrorCode.TOOMANYREQUESTS, "too many large request bodies are being "
                        + "received; retry later");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to read a request body");
        }
        boolean[] released = new boolean[1];
        return () -> {
            if (!released[0]) {
                released[0] = true;
                kib.release(n);
            }
        };
    }

    /** Bytes of the budget free now. */
    long available() {
        return kib.availablePermits() * 1024L;
    }

    private static int kib(long bytes) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, (bytes + 1023) / 1024));
    }
}
