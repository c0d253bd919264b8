package io.lading.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.core.Digest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Receiving on one thread while another hashes and writes: every byte in order, and failures on either side. */
class OverlappedCopyTest {
    /** Keeps what is written, and fails once {@code failAfter} bytes have been written (never when negative). */
    private static class MemoryWriter implements StorageDriver.FileWriter {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final long failAfter;

        MemoryWriter(long failAfter) {
            this.failAfter = failAfter;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (failAfter >= 0 && bytes.size() >= failAfter) {
                throw new IOException("disk on fire");
            }
            int n = src.remaining();
            byte[] b = new byte[n];
            src.get(b);
            bytes.write(b, 0, n);
            return n;
        }

        @Override
        public long size() {
            return bytes.size();
        }

        @Override
        public void commit() {
        }

        @Override
        public void cancel() {
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    /** A body of {@code length} bytes of a fixed pattern that counts what has been read of it. */
    private static final class CountingBody extends InputStream {
        final AtomicLong read = new AtomicLong();
        final long length;

        CountingBody(long length) {
            this.length = length;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            long left = length - read.get();
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, Math.min(left, 100_000)); // short reads, as from a socket
            for (int i = 0; i < n; i++) {
                b[off + i] = (byte) ((read.get() + i) * 31);
            }
            read.addAndGet(n);
            return n;
        }
    }

    private static byte[] content(int size) {
        byte[] c = new byte[size];
        new java.util.Random(size).nextBytes(c);
        return c;
    }

    private static String sha256(byte[] b) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void hashesAndWritesEveryByteInOrderWithAndWithoutAKnownLength() throws Exception {
        byte[] body = content(5 * OverlappedCopy.CHUNK + 12345);
        for (long expected : new long[]{body.length, -1}) {
            MemoryWriter w = new MemoryWriter(-1);
            Digest.Digester d = Digest.Algorithm.SHA256.digester();
            assertThat(OverlappedCopy.tryCopy(new ByteArrayInputStream(body), expected, d, w)).isTrue();
            assertThat(w.bytes.toByteArray()).isEqualTo(body);
            assertThat(d.digest().toString()).isEqualTo(sha256(body));
        }
    }

    @Test
    void stopsAtTheExpectedLengthAndLeavesTheRestOfTheStream() throws Exception {
        byte[] body = content(3 * OverlappedCopy.CHUNK);
        ByteArrayInputStream in = new ByteArrayInputStream(body);
        MemoryWriter w = new MemoryWriter(-1);
        OverlappedCopy.tryCopy(in, 2L * OverlappedCopy.CHUNK + 1, Digest.Algorithm.SHA256.digester(), w);
        assertThat(w.size()).isEqualTo(2L * OverlappedCopy.CHUNK + 1);
        assertThat(in.available()).isEqualTo(OverlappedCopy.CHUNK - 1);
    }

    @Test
    void aBodyShorterThanPromisedFailsWithEndOfFile() {
        byte[] body = content(2 * OverlappedCopy.CHUNK + 7);
        assertThatThrownBy(() -> OverlappedCopy.tryCopy(new ByteArrayInputStream(body), body.length + 1L,
                Digest.Algorithm.SHA256.digester(), new MemoryWriter(-1)))
                .isInstanceOf(EOFException.class).hasMessageContaining(body.length + " of " + (body.length + 1));
    }

    @Test
    void aWriteFailureOnTheHashersSideStopsTheReceiverAndIsWhatTheCallerSees() {
        CountingBody body = new CountingBody(1L << 30);
        assertThatThrownBy(() -> OverlappedCopy.tryCopy(body, -1, Digest.Algorithm.SHA256.digester(),
                new MemoryWriter(2L * OverlappedCopy.CHUNK)))
                .isInstanceOf(IOException.class).hasMessage("disk on fire");
        // It stopped reading within a few buffers of the failure instead of draining a gibibyte.
        assertThat(body.read.get()).isLessThan(8L * OverlappedCopy.CHUNK);
    }

    @Test
    void copiesPastTheLimitAreDeclinedWithoutReadingAByte() throws Exception {
        CountDownLatch started = new CountDownLatch(OverlappedCopy.MAX_RUNNING);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<Boolean>> running = new ArrayList<>();
        try {
            for (int i = 0; i < OverlappedCopy.MAX_RUNNING; i++) {
                InputStream blocked = new InputStream() {
                    boolean first = true;

                    @Override
                    public int read() {
                        return -1;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) {
                        if (first) {
                            first = false;
                            started.countDown();
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        return -1;
                    }
                };
                running.add(pool.submit(() -> OverlappedCopy.tryCopy(blocked, -1, Digest.Algorithm.SHA256.digester(),
                        new MemoryWriter(-1))));
            }
            started.await();
            CountingBody untouched = new CountingBody(10);
            assertThat(OverlappedCopy.tryCopy(untouched, -1, Digest.Algorithm.SHA256.digester(), new MemoryWriter(-1)))
                    .isFalse();
            assertThat(untouched.read.get()).isZero();
        } finally {
            release.countDown();
            for (Future<Boolean> f : running) {
                assertThat(f.get()).isTrue();
            }
            pool.shutdown();
        }
        assertThat(OverlappedCopy.tryCopy(new CountingBody(10), -1, Digest.Algorithm.SHA256.digester(),
                new MemoryWriter(-1))).as("a finished copy frees its place").isTrue();
    }

    @Test
    void anInterruptedReceiverWaitsForTheHasherBeforeHandingTheWriterBack() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger inWrite = new java.util.concurrent.atomic.AtomicInteger();
        MemoryWriter slow = new MemoryWriter(-1) {
            @Override
            public int write(ByteBuffer src) throws IOException {
                inWrite.incrementAndGet();
                try {
                    writing.countDown();
                    release.await();
                    return super.write(src);
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                } finally {
                    inWrite.decrementAndGet();
                }
            }
        };
        java.util.concurrent.CompletableFuture<Integer> writesWhenReturned = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Throwable> failure = new java.util.concurrent.CompletableFuture<>();
        byte[] body = content(2 * OverlappedCopy.CHUNK);
        Thread receiver = Thread.ofVirtual().start(() -> {
            try {
                OverlappedCopy.tryCopy(new ByteArrayInputStream(body), body.length,
                        Digest.Algorithm.SHA256.digester(), slow);
            } catch (Throwable e) {
                failure.complete(e);
            } finally {
                writesWhenReturned.complete(inWrite.get());
            }
        });
        writing.await();
        Thread.sleep(100); // the receiver has read the whole body and waits for the hasher
        receiver.interrupt();
        Thread.sleep(100);
        assertThat(writesWhenReturned).as("still waiting for the write in progress").isNotDone();
        release.countDown();
        assertThat(writesWhenReturned.get(5, java.util.concurrent.TimeUnit.SECONDS)).isZero();
        assertThat(failure.get(5, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(java.io.InterruptedIOException.class);
    }
}
