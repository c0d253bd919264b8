package io.lading.registry;

import java.util.function.LongSupplier;

/**
 * Holds a stream of bytes to a rate: after each piece it sleeps until that piece is due. A background reader (a
 * content check that hashes the whole store, a backup) uses it to leave the disk to clients. Time spent not reading
 * counts as credit for at most {@link #CREDIT_NANOS}, so a stretch of small or cached reads cannot buy a long burst
 * later.
 * Not thread-safe: one reader paces itself.
 */
public final class Pacer {
    /** Sleeps for a number of nanoseconds; tests pass one that only advances their clock. */
    interface Sleeper {
        void sleep(long nanos) throws InterruptedException;

        Sleeper THREAD = nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    }

    static final long CREDIT_NANOS = 1_000_000_000L;
    private final long bytesPerSecond;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    /** When the bytes counted so far are due; Long.MIN_VALUE before the first piece. */
    private long due = Long.MIN_VALUE;

    /** @param bytesPerSecond the rate; 0 or less for no limit */
    public Pacer(long bytesPerSecond) {
        this(bytesPerSecond, System::nanoTime, Sleeper.THREAD);
    }

    Pacer(long bytesPerSecond, LongSupplier nanoTime, Sleeper sleeper) {
        this.bytesPerSecond = bytesPerSecond;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
    }

    /**
     * As {@link #paced}, for work that an interrupt ends: the interrupt is set again, and a CancellationException
     * saying {@code stopped} ends the caller's work.
     */
    public void pacedOrStop(long n, String stopped) {
        try {
            paced(n);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.util.concurrent.CancellationException(stopped);
        }
    }

    /** Counts {@code n} bytes just read, and sleeps while they are ahead of the rate. */
    public void paced(long n) throws InterruptedException {
        if (bytesPerSecond <= 0 || n <= 0) {
            return;
        }
        long now = nanoTime.getAsLong();
        long from = due == Long.MIN_VALUE ? now : Math.max(due, now - CREDIT_NANOS);
        due = from + (long) ((double) n * 1e9 / bytesPerSecond);
        if (due > now) {
            sleeper.sleep(due - now);
        }
    }
}
