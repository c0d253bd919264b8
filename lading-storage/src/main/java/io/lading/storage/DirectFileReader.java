package io.lading.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * Reads a large file with {@code O_DIRECT}, the counterpart of {@link PipelinedFileWriter}'s direct mode: a blob
 * written past the page cache is read past it too, from the device into an aligned buffer, instead of first filling
 * new page-cache pages (which is what made reads of such blobs slow on the machines Lading is measured on). The
 * next chunk is read on another thread while the caller takes the current one, so disk reads overlap with sending.
 * A sender that {@linkplain #lend borrows} the chunks sends them without copying them into a buffer of its own.
 *
 * <p>O_DIRECT wants block-aligned positions, lengths and buffer addresses: chunks start at block boundaries (the
 * first one at the block holding the offset, its head skipped), and a read at the end of the file returns what
 * is left.
 */
final class DirectFileReader implements LendingChannel {
    /**
     * Chunk size; a multiple of every block size we accept. A mebibyte rather than half of one: half the reads and
     * hand-offs per GB pulled (decision 0035).
     */
    static final int CHUNK = AlignedBuffers.MEBIBYTE;
    /**
     * Readers open at once; past that, {@link #open} says no and the driver reads through the page cache. Each
     * holds two chunks (the one being sent and the one read ahead), so direct reads take at most 16 MiB of direct
     * memory, from the pool pipelined writes share: without the bound, 512 pulls of large blobs at once would ask
     * for 1 GiB.
     */
    static final int MAX_OPEN = 8;
    private static final AlignedBuffers BUFFERS = AlignedBuffers.MEBIBYTES;
    private static final Semaphore OPEN = new Semaphore(MAX_OPEN);
    private static final ExecutorService READERS = Executors.newVirtualThreadPerTaskExecutor();

    private final FileChannel channel;
    private final int block;
    private final long size;
    /** Whether this reader holds one of the {@link #OPEN} permits. */
    private final boolean bounded;
    /** The chunk being handed out, positioned at the next byte to hand out; null once the file is exhausted. */
    private ByteBuffer current;
    /** The read of the chunk after {@link #current}, or null when there is none. */
    private CompletableFuture<ByteBuffer> ahead;
    /** File position of the chunk {@link #ahead} reads. */
    private long aheadStart;

    private DirectFileReader(FileChannel channel, int block, long size, boolean bounded) {
        this.channel = channel;
        this.block = block;
        this.size = size;
        this.bounded = bounded;
    }

    /**
     * Opens {@code path} for direct reads from {@code offset} (at most the file's size). Returns null when the file
     * system does not support O_DIRECT (tmpfs, some network file systems), or when {@link #MAX_OPEN} readers are
     * open already: the caller then reads through the page cache.
     */
    static DirectFileReader open(Path path, long offset) throws IOException {
        if (!OPEN.tryAcquire()) {
            return null;
        }
        return open(path, offset, true, true);
    }

    /**
     * Opens {@code path} for one direct read of all of it, for a check or a copy of what is on the device: outside
     * the bound of {@link #MAX_OPEN}, which such reads must not fall back on (they run one at a time), and without
     * logging a file system that refuses O_DIRECT (null then; the caller reads through the page cache).
     */
    static DirectFileReader openUnbounded(Path path) throws IOException {
        return open(path, 0, false, false);
    }

    /** Opens the reader; {@code bounded} when it holds one of the {@link #OPEN} permits, which it gives back. */
    private static DirectFileReader open(Path path, long offset, boolean report, boolean bounded) throws IOException {
        DirectChannel direct = DirectChannel.open(path, StandardOpenOption.READ, CHUNK, report);
        if (direct == null) {
            if (bounded) {
                OPEN.release();
            }
            return null;
        }
        FileChannel ch = direct.channel();
        int block = direct.block();
        try {
            DirectFileReader r = new DirectFileReader(ch, block, ch.size(), bounded);
            long start = offset - offset % block;
            r.current = r.readChunk(start);
            r.current.position((int) Math.min(offset - start, r.current.limit()));
            r.aheadStart = start + CHUNK;
            r.readAhead();
            return r;
        } catch (IOException | RuntimeException e) {
            if (bounded) {
                OPEN.release();
            }
            ch.close();
            throw e;
        }
    }

    /** Reads the chunk at {@code start} (block-aligned) into a pooled aligned buffer, flipped. */
    private ByteBuffer readChunk(long start) throws IOException {
        ByteBuffer b = BUFFERS.acquire(block);
        try {
            while (b.hasRemaining()) {
                int n = channel.read(b, start + b.position());
                if (n <= 0) {
                    break; // end of file: the last chunk is short
                }
                if (b.position() % block != 0) {
                    break; // a short read ends at the end of the file
                }
            }
            return b.flip();
        } catch (IOException | RuntimeException e) {
            BUFFERS.release(b);
            throw e;
        }
    }

    private void readAhead() {
        if (aheadStart >= size) {
            ahead = null;
            return;
        }
        long start = aheadStart;
        ahead = CompletableFuture.supplyAsync(() -> {
            try {
                return readChunk(start);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, READERS);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        ByteBuffer from = unread();
        if (from == null) {
            return -1;
        }
        int n = Math.min(dst.remaining(), from.remaining());
        dst.put(from.slice(from.position(), n));
        from.position(from.position() + n);
        return n;
    }

    @Override
    public ByteBuffer lend(int max) throws IOException {
        ByteBuffer from = unread();
        if (from == null) {
            return null;
        }
        int n = Math.min(max, from.remaining());
        ByteBuffer lent = from.slice(from.position(), n);
        from.position(from.position() + n);
        return lent;
    }

    /**
     * The chunk with bytes not handed out yet, positioned at the first of them, or null at the end of the file. A
     * chunk handed out whole goes back to the pool here, so what was lent from it is no longer the caller's.
     */
    private ByteBuffer unread() throws IOException {
        if (!channel.isOpen()) {
            throw new ClosedChannelException();
        }
        while (current != null && !current.hasRemaining()) {
            BUFFERS.release(current);
            current = null;
            if (ahead != null) {
                current = Futures.get(ahead, "interrupted reading a blob");
                aheadStart += CHUNK;
                readAhead();
            }
        }
        return current;
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        if (!channel.isOpen()) {
            return;
        }
        CompletableFuture<ByteBuffer> pending = ahead;
        ahead = null;
        if (pending != null && Futures.awaitEnd(pending) == null) { // the read ends before its channel closes
            BUFFERS.release(pending.resultNow());
        }
        BUFFERS.release(current);
        current = null;
        channel.close();
        if (bounded) {
            OPEN.release();
        }
    }
}
