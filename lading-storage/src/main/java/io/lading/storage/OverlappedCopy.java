package io.lading.storage;

import io.lading.core.Digest;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Copies a large request body into a {@link StorageDriver.FileWriter}, hashing it, with receiving on the caller's
 * thread and hashing+writing on another, so the two overlap. SHA-256 runs at 1-2 GB/s per core, the same order
 * as receiving a body over loopback, so doing them one after the other halves what one push can reach.
 *
 * <p>The receiver fills one of {@link #DEPTH} buffers of {@link #CHUNK} bytes while the others wait for or are in
 * the hasher; a hand-off per half mebibyte keeps thread wake-ups rare. At most {@link #MAX_RUNNING} copies run at
 * once (their buffers are heap memory); {@link #tryCopy} declines beyond that and the caller copies in its own
 * thread.
 */
final class OverlappedCopy {
    /** Bodies shorter than this are copied on the caller's thread: a hand-off would cost more than it saves. */
    static final long MIN_SIZE = 4L << 20;
    static final int CHUNK = 512 * 1024;
    private static final int DEPTH = 3;
    static final int MAX_RUNNING = 4;
    private static final Semaphore RUNNING = new Semaphore(MAX_RUNNING);
    /**
     * The buffers of the copies running, kept between them: allocated per copy, they outlived young collections
     * (a copy takes longer than the interval between two on the launcher's heap) and filled the old generation
     * with garbage, which counts in the resident set.
     */
    private static final ConcurrentLinkedQueue<byte[]> POOL = new ConcurrentLinkedQueue<>();
    private static final ExecutorService HASHERS = Executors.newVirtualThreadPerTaskExecutor();

    /** A filled buffer; {@code length} -1 marks the end of the body. */
    private record Chunk(byte[] buf, int length) {
        static final Chunk END = new Chunk(new byte[0], -1);
    }

    private OverlappedCopy() {
    }

    /**
     * Copies {@code body} (exactly {@code expected} bytes, or to its end when -1) into {@code writer}, updating
     * {@code digester}, and returns true; or returns false at once, having read nothing, when
     * {@link #MAX_RUNNING} copies are running already.
     *
     * @throws EOFException when the body ends before {@code expected} bytes
     * @throws IOException when reading or writing fails; the digester and writer then hold part of the body
     */
    static boolean tryCopy(InputStream body, long expected, Digest.Digester digester, StorageDriver.FileWriter writer)
            throws IOException {
        if (!RUNNING.tryAcquire()) {
            return false;
        }
        try {
            copy(body, expected, digester, writer);
            return true;
        } finally {
            RUNNING.release();
        }
    }

    private static void copy(InputStream body, long expected, Digest.Digester digester,
            StorageDriver.FileWriter writer) throws IOException {
        BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(DEPTH);
        BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(DEPTH + 1); // every buffer, and END
        for (int i = 0; i < DEPTH; i++) {
            byte[] b = POOL.poll();
            free.add(b != null ? b : new byte[CHUNK]);
        }
        List<byte[]> buffers = new ArrayList<>(free); // to give back to the pool, before any thread takes one
        Future<?> hasher = HASHERS.submit(() -> {
            try {
                for (Chunk c = full.take(); c != Chunk.END; c = full.take()) {
                    digester.update(c.buf(), 0, c.length());
                    writer.write(ByteBuffer.wrap(c.buf(), 0, c.length()));
                    free.put(c.buf());
                }
                return null;
            } finally {
                free.offer(Chunk.END.buf()); // wakes a receiver waiting for a buffer after a failure here
            }
        });
        boolean endQueued = false;
        try {
            long remaining = expected < 0 ? Long.MAX_VALUE : expected;
            while (remaining > 0) {
                byte[] buf = take(free);
                if (buf.length == 0 || hasher.isDone()) {
                    break; // the hasher failed; its failure is reported below
                }
                int n = BlobStore.readFully(body, buf, (int) Math.min(buf.length, remaining));
                if (n == 0) {
                    BlobStore.endOfBody(expected, remaining);
                    break;
                }
                full.add(new Chunk(buf, n));
                remaining -= n;
            }
            full.add(Chunk.END);
            endQueued = true;
            Futures.get(hasher, "interrupted while hashing an upload");
        } finally {
            if (!endQueued) {
                full.add(Chunk.END);
            }
            // However this ends (an interrupted wait above too), the writer must be idle before the caller closes
            // it; for a hasher that has finished this returns at once.
            Futures.awaitEnd(hasher);
            POOL.addAll(buffers); // no thread uses them any more; at most MAX_RUNNING * DEPTH are out at once
        }
    }

    private static byte[] take(BlockingQueue<byte[]> free) throws IOException {
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while receiving an upload");
        }
    }
}
