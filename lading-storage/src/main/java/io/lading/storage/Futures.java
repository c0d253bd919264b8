package io.lading.storage;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Waiting for background reads, writes, syncs and requests (of this package's drivers and of the object store
 * drivers), with their failures as I/O errors.
 */
public final class Futures {
    private Futures() {
    }

    /**
     * The value of {@code f} (null for no future). Its failure is rethrown: an IOException as it is (also one a
     * task wrapped in an UncheckedIOException), a RuntimeException too. An interrupt ends the wait with an
     * InterruptedIOException saying {@code interruptedMessage}, and stays set; a cancelled task is an IOException.
     */
    public static <T> T get(Future<T> f, String interruptedMessage) throws IOException {
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
        } catch (CancellationException e) {
            throw new IOException("cancelled", e);
        }
    }

    /** A task on one item that may fail with an I/O error. */
    public interface IoTask<T, R> {
        R run(T item) throws IOException;
    }

    /**
     * Runs {@code task} for each item on {@code executor}, at most {@code limit} at once (each waits on a round trip
     * to a store), waits for all, and returns their results in the items' order; the first failure is thrown once
     * all have ended.
     */
    public static <T, R> List<R> each(List<T> items, int limit, ExecutorService executor, IoTask<T, R> task)
            throws IOException {
        if (items.size() == 1) {
            return java.util.Collections.singletonList(task.run(items.get(0)));
        }
        List<Future<R>> running = new ArrayList<>();
        Semaphore inFlight = new Semaphore(limit);
        for (T item : items) {
            inFlight.acquireUninterruptibly();
            running.add(executor.submit(() -> {
                try {
                    return task.run(item);
                } finally {
                    inFlight.release();
                }
            }));
        }
        List<R> results = new ArrayList<>();
        IOException failed = null;
        for (Future<R> f : running) {
            try {
                results.add(get(f, "interrupted waiting for requests"));
            } catch (IOException e) {
                failed = failed == null ? e : failed;
            }
        }
        if (failed != null) {
            throw failed;
        }
        return results;
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
