package io.lading.storage;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for the background reads, writes and syncs of this package, with their failures as I/O errors. */
final class Futures {
    private Futures() {
    }

    /**
     * The value of {@code f} (null for no future). Its failure is rethrown: an IOException as it is (also one a
     * task wrapped in an UncheckedIOException), a RuntimeException too. An interrupt ends the wait with an
     * InterruptedIOException saying {@code interruptedMessage}, and stays set.
     */
    static <T> T get(Future<T> f, String interruptedMessage) throws IOException {
        if (f == null) {
            return null;
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(interruptedMessage);
        } catch (ExecutionException e) {
            throw asIoException(e.getCause());
        }
    }

    /**
     * Waits until {@code f} has ended, however it ends: an interrupt does not cut the wait short (it is set again
     * afterwards). Returns the failure as an I/O error, or null when it succeeded (or there was no future).
     */
    static IOException awaitEnd(Future<?> f) {
        if (f == null) {
            return null;
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    f.get();
                    return null;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    return cause instanceof IOException io ? io
                            : cause instanceof UncheckedIOException u ? u.getCause() : new IOException(cause);
                } catch (CancellationException e) {
                    return new IOException(e);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static IOException asIoException(Throwable cause) {
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof UncheckedIOException u) {
            return u.getCause();
        }
        if (cause instanceof RuntimeException re) {
            throw re;
        }
        return new IOException(cause);
    }
}
