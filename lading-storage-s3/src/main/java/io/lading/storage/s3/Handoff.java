package io.lading.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Bytes handed from a writer's thread to a thread that sends them as a request body ({@link #input()}), through
 * a few reused buffers: the writer waits while all of them are full, the sender while all are empty. A failed
 * writer ({@link #fail()}) makes the sender's stream throw, so the request is abandoned rather than sent short.
 */
final class Handoff {
    static final int BUFFERS = 4;
    static final int BUFFER_SIZE = 256 * 1024;
    private static final ByteBuffer END = ByteBuffer.allocate(0);
    private static final ByteBuffer FAILED = ByteBuffer.allocate(0);

    private final BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(BUFFERS);
    private final BlockingQueue<ByteBuffer> full = new ArrayBlockingQueue<>(BUFFERS + 2);
    private ByteBuffer filling;
    private int allocated;

    /**
     * Copies {@code src} into the buffers, waiting for the sender as needed.
     *
     * @param sender the task reading {@link #input()}: when it has ended (failed), its failure is thrown here
     */
    void write(ByteBuffer src, Future<?> sender) throws IOException {
        while (src.hasRemaining()) {
            if (filling == null) {
                filling = nextFree(sender);
            }
            int n = Math.min(src.remaining(), filling.remaining());
            filling.put(src.slice(src.position(), n));
            src.position(src.position() + n);
            if (!filling.hasRemaining()) {
                put(filling.flip());
                filling = null;
            }
        }
    }

    private ByteBuffer nextFree(Future<?> sender) throws IOException {
        ByteBuffer b = free.poll();
        if (b != null) {
            return b;
        }
        if (allocated < BUFFERS) {
            allocated++;
            return ByteBuffer.allocate(BUFFER_SIZE);
        }
        try {
            while ((b = free.poll(100, TimeUnit.MILLISECONDS)) == null) {
                if (sender.isDone()) {
                    sender.get(); // throws its failure
                    throw new IOException("the upload to S3 ended before its body did");
                }
            }
            return b;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("waiting for the upload to S3");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    private void put(ByteBuffer b) throws IOException {
        try {
            full.put(b);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("waiting for the upload to S3");
        }
    }

    /** No more bytes: the sender's stream ends once it has read what is buffered. */
    void end() throws IOException {
        if (filling != null && filling.position() > 0) {
            put(filling.flip());
        }
        filling = null;
        put(END);
    }

    /** The writer gave up: the sender's stream fails at its next read. */
    void fail() {
        full.clear();
        full.offer(FAILED);
    }

    /** The sender's side. */
    InputStream input() {
        return new InputStream() {
            private ByteBuffer current;
            private boolean ended;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                while (current == null || !current.hasRemaining()) {
                    if (ended) {
                        return -1;
                    }
                    if (current != null) {
                        free.offer(current.clear());
                        current = null;
                    }
                    ByteBuffer next;
                    try {
                        next = full.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("upload abandoned");
                    }
                    if (next == FAILED) {
                        throw new IOException("the write to S3 was abandoned");
                    }
                    if (next == END) {
                        ended = true;
                        return -1;
                    }
                    current = next;
                }
                int n = Math.min(len, current.remaining());
                current.get(b, off, n);
                return n;
            }
        };
    }

    /** The next {@code length} bytes of a stream, leaving the stream open for the bytes after them. */
    static InputStream bounded(InputStream in, long length) {
        return new InputStream() {
            private long left = length;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int c = in.read();
                if (c >= 0) {
                    left--;
                }
                return c;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }

            @Override
            public void close() {
                // the stream goes on with the next part
            }
        };
    }
}
