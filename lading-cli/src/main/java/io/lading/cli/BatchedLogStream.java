package io.lading.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The log's output: lines are gathered in a buffer and written to the underlying stream (standard error) with one
 * system call when the buffer fills, when {@link #flush()} is called (the appender does for warnings and errors,
 * and the registry at exit), and otherwise at most {@link #FLUSH_INTERVAL_MS} after the oldest line still waiting.
 * Under load the access log writes a line per request; written one by one they cost a system call each, and
 * batching them cut the server's CPU per blob HEAD by about a seventh on the measured VM (decision 0017). nginx's
 * {@code access_log ... buffer= flush=} works the same way.
 *
 * <p>Closing flushes and leaves the underlying stream open (standard error outlives any logging setup).
 */
final class BatchedLogStream extends OutputStream {
    static final long FLUSH_INTERVAL_MS = 100;
    private static final int BUFFER_BYTES = 64 * 1024;

    private static final class Stderr {
        static final BatchedLogStream INSTANCE = new BatchedLogStream(new FileOutputStream(FileDescriptor.err),
                BUFFER_BYTES);

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(INSTANCE::flushQuietly, "lading-log-flush"));
        }
    }

    private final OutputStream out;
    private final byte[] buffer;
    private int count;
    /** Not {@code synchronized}: virtual threads log, and must not pin their carrier while the line is written. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition waiting = lock.newCondition();

    BatchedLogStream(OutputStream out, int bufferBytes) {
        this.out = out;
        this.buffer = new byte[bufferBytes];
        Thread.ofPlatform().daemon().name("lading-log-writer").start(this::writeWaitingLines);
    }

    /** The one batched standard error of this process (its writer thread is started on first use). */
    static BatchedLogStream stderr() {
        return Stderr.INSTANCE;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[]{(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        lock.lock();
        try {
            if (len > buffer.length - count) {
                drain();
            }
            if (len >= buffer.length) {
                out.write(b, off, len);
                return;
            }
            if (count == 0) {
                waiting.signal(); // the writer starts timing the oldest line
            }
            System.arraycopy(b, off, buffer, count, len);
            count += len;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void flush() throws IOException {
        lock.lock();
        try {
            drain();
            out.flush();
        } finally {
            lock.unlock();
        }
    }

    void flushQuietly() {
        try {
            flush();
        } catch (IOException e) {
            // standard error is gone: there is nowhere left to say so
        }
    }

    @Override
    public void close() throws IOException {
        flush();
    }

    /** Writes what is buffered; called under the lock. */
    private void drain() throws IOException {
        if (count > 0) {
            int n = count;
            count = 0; // a failed write drops the lines rather than retrying them forever
            out.write(buffer, 0, n);
        }
    }

    /** The writer thread: once a line is waiting, sleeps out the interval and writes whatever has gathered. */
    private void writeWaitingLines() {
        lock.lock();
        try {
            while (true) {
                while (count == 0) {
                    waiting.await();
                }
                long left = TimeUnit.MILLISECONDS.toNanos(FLUSH_INTERVAL_MS);
                while (left > 0 && count > 0) {
                    left = waiting.awaitNanos(left);
                }
                try {
                    drain();
                } catch (IOException e) {
                    // as in flushQuietly
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }
}
