package io.lading.core;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds memory that requests hold while they run: a request takes its share of the budget and gives it back when
 * done, and waits, in arrival order, while others hold it. Budgets bound the heap held by manifest bodies read
 * whole (up to 4 MiB each, and their parse), the heap buffers uploads are copied through, the direct buffers
 * blob downloads stream through, and the heap buffers a pull-through cache's requests to upstream are read into.
 * Without them, a few dozen concurrent pushes of large manifests could exhaust a small heap, a thousand slow
 * uploads the heap, a hundred concurrent downloads the direct memory, and two hundred first pulls through a cache
 * the heap (500s, or a stopped server); with them, requests queue, and past a wait get 429 TOOMANYREQUESTS.
 */
public final class MemoryBudget {
    /**
     * How long a request waits for its share before it gets 429 TOOMANYREQUESTS: the budgets of this process all
     * use it (what others hold is given back as their transfers end, which can take seconds under load).
     */
    public static final Duration WAIT = Duration.ofSeconds(30);
    private final int totalKib;
    private final Semaphore kib;
    private final String holders;

    /**
     * @param holders what holds the budget, for the 429's message ("large request bodies being received")
     */
    public MemoryBudget(long bytes, String holders) {
        this.totalKib = kib(bytes);
        this.kib = new Semaphore(totalKib, true);
        this.holders = holders;
    }

    /** A held share of the budget; closing it (once or more, on any thread) gives it back. */
    public static final class Share implements AutoCloseable {
        private final Semaphore from;
        private final int kib;
        private final AtomicBoolean released = new AtomicBoolean();

        private Share(Semaphore from, int kib) {
            this.from = from;
            this.kib = kib;
        }

        /** The bytes this share holds. */
        public int bytes() {
            return kib * 1024;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                from.release(kib);
            }
        }
    }

    /**
     * Waits up to {@code wait} for {@code bytes} of the budget (all of it, when {@code bytes} is larger).
     *
     * @throws RegistryException TOOMANYREQUESTS when the budget stayed taken that long (bodies that arrive
     *                           slowly, or a flood of large ones): the client may retry
     */
    public Share acquire(long bytes, Duration wait) throws InterruptedIOException {
        int n = Math.min(kib(bytes), totalKib);
        try {
            if (!kib.tryAcquire(n, wait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new RegistryException(ErrorCode.TOOMANYREQUESTS, "too many " + holders + "; retry later");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for memory: " + holders);
        }
        return new Share(kib, n);
    }

    /**
     * {@code want} bytes while half the budget stays free with them taken (and no request waits), else
     * {@code least} of them (or {@code want}, when smaller), waiting up to {@code wait} as {@link #acquire} does:
     * large shares for the first requests, and the other half of the budget in small ones for many more.
     */
    public Share acquireUpTo(long want, long least, Duration wait) throws InterruptedIOException {
        int n = Math.min(kib(want), totalKib);
        if (!kib.hasQueuedThreads() && kib.availablePermits() - n >= totalKib / 2 && kib.tryAcquire(n)) {
            return new Share(kib, n);
        }
        return acquire(Math.min(want, least), wait);
    }

    /** Bytes of the budget free now. */
    public long available() {
        return kib.availablePermits() * 1024L;
    }

    private static int kib(long bytes) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, (bytes + 1023) / 1024));
    }
}
