package io.lading.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * A {@link StorageDriver.FileWriter} for large files that keeps the disk off the caller's path: the caller's bytes
 * are copied into one of two {@link #STAGE_SIZE} stages while the other is written on a background thread. A push
 * thus receives and hashes the next mebibyte while the last one goes to disk, and hands work to another thread
 * once per mebibyte rather than per socket read (a wake-up costs tens of microseconds on a VM).
 *
 * <p>With {@code O_DIRECT} ({@link #direct}), bytes go from the stage straight to the device instead of through the
 * page cache. On the machines Lading is measured on, new page-cache pages cost about 2.5 s of kernel time per GB,
 * which made buffered writes the ceiling of a push; direct writes avoid that and make the commit's fsync cheap.
 * O_DIRECT wants block-aligned positions, lengths and buffer addresses, while uploads append at any offset. So the
 * writer stages whole blocks: it starts at the block holding the resume offset (reading back that block's first
 * bytes), writes only full stages, and on commit writes the last block zero-padded and truncates the file to its
 * real size before syncing. Without O_DIRECT ({@link #buffered}) the block size is 1 and all of that falls away.
 *
 * <p>Every {@link #FORCE_AHEAD} bytes it starts an fsync on another thread, so the device (on a VM, the host)
 * flushes while the rest of the upload arrives and the fsync at commit has little left to do.
 *
 * <p>A failed background write fails the next {@link #write}, or the {@link #commit}: nothing is durable unless
 * commit returns.
 */
final class PipelinedFileWriter implements StorageDriver.FileWriter {
    /** Stage size; a multiple of every block size we accept. */
    static final int STAGE_SIZE = AlignedBuffers.MEBIBYTE;
    /**
     * Writers open at once; past that, {@link #buffered} and {@link #direct} say no and the caller writes plainly
     * (through the page cache). Eight, so that as many large uploads at once are written directly as pulls are read
     * directly (decision 0035).
     */
    static final int MAX_OPEN = 8;
    /**
     * Two stages per open writer, from the pool direct reads share, which keeps them between uploads. (Released
     * direct buffers are freed only after a garbage collection finds them, so allocating stages per upload, for the
     * 8 MiB chunks of a chunked push say, grew the resident set by tens of MiB.)
     */
    private static final AlignedBuffers BUFFERS = AlignedBuffers.MEBIBYTES;
    private static final Semaphore OPEN = new Semaphore(MAX_OPEN);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final long FORCE_AHEAD = 64L << 20;
    /**
     * Runs background writes and fsyncs. Platform threads: they block in the kernel, where a virtual thread would
     * pin its carrier anyway. At most one write and one fsync per open writer, so the pool stays small.
     */
    private static final ExecutorService BACKGROUND = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("lading-file-writer-", 0).daemon().factory());

    private final Path path;
    private final FileChannel channel;
    /** O_DIRECT alignment, or 1 for a channel through the page cache. */
    private final int block;
    /** The stage the caller fills. */
    private ByteBuffer stage;
    /** The other stage: being written in the background, or free; null until the first hand-off. */
    private ByteBuffer spare;
    /** File position of {@code stage}'s first byte; a multiple of {@link #block}. */
    private long stageStart;
    /** The background write of {@code spare}, or null. */
    private Future<?> writing;
    /** File position up to which the last background fsync was started. */
    private long forcedTo;
    /** The background fsync in progress or last finished, or null. */
    private Future<?> forcing;
    /** Where this writer began: closing without a commit cuts the file back to it. */
    private final long start;
    private boolean committed;

    private PipelinedFileWriter(Path path, FileChannel channel, int block, ByteBuffer stage, long stageStart) {
        this.path = path;
        this.channel = channel;
        this.block = block;
        this.stage = stage;
        this.stageStart = stageStart;
        this.forcedTo = stageStart;
        this.start = stageStart + stage.position(); // a direct writer's stage holds the bytes before the offset
    }

    /**
     * A writer through the page cache on {@code channel} (open for writing), appending from {@code offset}; null
     * when {@link #MAX_OPEN} writers are open already.
     */
    static PipelinedFileWriter buffered(Path path, long offset, FileChannel channel) {
        if (!OPEN.tryAcquire()) {
            return null;
        }
        return new PipelinedFileWriter(path, channel, 1, BUFFERS.acquire(1), offset);
    }

    /**
     * Opens {@code path} for direct writes from {@code offset}; {@code buffered} is an ordinary channel on the same
     * file, already truncated to {@code offset}, used to read back the bytes of the block the offset falls in.
     * Returns null when the file system does not take O_DIRECT (some network file systems, older tmpfs), or when
     * {@link #MAX_OPEN} writers are open already: the caller then writes through the page cache, which is a slower
     * way to the same result, not a failure.
     */
    static PipelinedFileWriter direct(Path path, long offset, FileChannel buffered) throws IOException {
        if (!OPEN.tryAcquire()) {
            return null;
        }
        DirectChannel direct = DirectChannel.open(path, StandardOpenOption.WRITE, STAGE_SIZE);
        if (direct == null) {
            OPEN.release();
            return null;
        }
        FileChannel ch = direct.channel();
        int block = direct.block();
        ByteBuffer stage = BUFFERS.acquire(block);
        long stageStart = offset - offset % block;
        int head = (int) (offset - stageStart);
        try {
            // The block holding the offset is rewritten whole, so its bytes before the offset are read back.
            ByteBuffer first = stage.duplicate().limit(head);
            while (first.hasRemaining()) {
                if (buffered.read(first, stageStart + first.position()) < 0) {
                    throw new IOException(path + " ended before the resume offset " + offset);
                }
            }
            stage.position(head);
        } catch (IOException e) {
            BUFFERS.release(stage);
            OPEN.release();
            ch.close();
            throw e;
        }
        return new PipelinedFileWriter(path, ch, block, stage, stageStart);
    }

    /** True when this writer bypasses the page cache. */
    boolean direct() {
        return block > 1;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (!channel.isOpen()) {
            throw new ClosedChannelException();
        }
        int n = src.remaining();
        while (src.hasRemaining()) {
            int take = Math.min(src.remaining(), stage.remaining());
            stage.put(stage.position(), src, src.position(), take);
            stage.position(stage.position() + take);
            src.position(src.position() + take);
            if (!stage.hasRemaining()) {
                handOff();
            }
        }
        return n;
    }

    /** Starts writing the full stage in the background and makes the spare (once written) the stage. */
    private void handOff() throws IOException {
        awaitWriting();
        ByteBuffer full = stage.flip();
        long at = stageStart;
        writing = BACKGROUND.submit(() -> {
            writeFully(full, at);
            return null;
        });
        stage = spare != null ? spare.clear() : BUFFERS.acquire(block);
        spare = full;
        stageStart += STAGE_SIZE;
        if (stageStart - forcedTo >= FORCE_AHEAD && (forcing == null || forcing.isDone())) {
            awaitForce(); // done: returns at once, or fails the upload now
            forcedTo = stageStart;
            forcing = BACKGROUND.submit(() -> {
                channel.force(false);
                return null;
            });
        }
    }

    /**
     * Waits for the background fsync; its failure fails the caller (and so the upload): a later fsync may report
     * success for pages the kernel dropped.
     */
    private void awaitForce() throws IOException {
        IOException failed = Futures.awaitEnd(forcing);
        if (failed != null) {
            throw failed;
        }
    }

    private void writeFully(ByteBuffer buf, long at) throws IOException {
        long pos = at;
        while (buf.hasRemaining()) {
            pos += channel.write(buf, pos);
        }
    }

    /** Waits for the background write; its failure fails the caller (and so the upload). */
    private void awaitWriting() throws IOException {
        Future<?> w = writing;
        Futures.get(w, "interrupted while writing " + path);
        writing = null;
    }

    @Override
    public long size() {
        return stageStart + stage.position();
    }

    @Override
    public void commit() throws IOException {
        try {
            awaitWriting();
            int tail = stage.position();
            if (tail > 0) {
                int padded = (tail + block - 1) / block * block;
                ByteBuffer out = stage.duplicate().position(tail).limit(padded);
                while (out.hasRemaining()) {
                    out.put((byte) 0);
                }
                writeFully(out.position(0), stageStart);
            }
            long size = size();
            if (channel.size() != size) {
                channel.truncate(size);
            }
            awaitForce();
            channel.force(false);
            committed = true;
        } finally {
            close();
        }
    }

    @Override
    public void cancel() throws IOException {
        close();
        Files.deleteIfExists(path);
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        if (channel.isOpen()) {
            // Whatever runs in the background uses the channel and the spare: both must be done before they go.
            // Their failures no longer matter: closing without a commit keeps nothing this writer wrote.
            Futures.awaitEnd(writing);
            Futures.awaitEnd(forcing);
            stageStart = size();
            try {
                if (!committed) {
                    FileSystemDriver.cutBack(channel, start, path);
                }
                channel.close();
            } finally {
                BUFFERS.release(stage);
                BUFFERS.release(spare);
                stage = EMPTY;
                spare = null;
                writing = null;
                OPEN.release();
            }
        }
    }
}
