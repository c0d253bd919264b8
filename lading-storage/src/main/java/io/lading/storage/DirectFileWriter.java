package io.lading.storage;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A {@link StorageDriver.FileWriter} that writes with {@code O_DIRECT}: bytes go from an aligned staging buffer
 * straight to the device instead of through the page cache. On the machines Lading is measured on, dirtying new
 * page-cache pages costs about 2 s of kernel time per GB, which made buffered writes the ceiling of a push;
 * direct writes avoid that and also make the commit's fsync cheap, since little is left to flush.
 *
 * <p>O_DIRECT wants block-aligned positions, lengths and buffer addresses, while uploads append at any offset.
 * So the writer stages whole blocks: it starts at the block holding the resume offset (reading back that block's
 * first bytes), writes only full blocks, and on commit writes the last block zero-padded and truncates the file
 * to its real size before syncing.
 *
 * <p>Every {@link #FORCE_AHEAD} bytes it starts an fsync on another thread, so the device (on a VM, the host) flushes
 * while the rest of the upload arrives and the fsync at commit has little left to do.
 */
final class DirectFileWriter implements StorageDriver.FileWriter {
    /** Staging buffer size; a multiple of every block size we accept. */
    static final int STAGE_SIZE = 1 << 20;
    private static final AlignedBuffers BUFFERS = new AlignedBuffers(STAGE_SIZE, 8);

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final long FORCE_AHEAD = 64L << 20;
    private static final ExecutorService FORCERS = Executors.newVirtualThreadPerTaskExecutor();
    /** File position up to which the last background fsync was started. */
    private long forcedTo;
    /** The background fsync in progress or last finished, or null. */
    private Future<?> forcing;

    private final Path path;
    private final FileChannel channel;
    private final int block;
    private ByteBuffer stage;
    /** File position of {@code stage}'s first byte; always block-aligned. */
    private long stageStart;

    private DirectFileWriter(Path path, FileChannel channel, int block, ByteBuffer stage, long stageStart) {
        this.path = path;
        this.channel = channel;
        this.block = block;
        this.stage = stage;
        this.stageStart = stageStart;
    }

    /**
     * Opens {@code path} for direct writes from {@code offset}; {@code buffered} is an ordinary channel on the same
     * file, already truncated to {@code offset}, used to read back the bytes of the block the offset falls in.
     * Returns null when the file system does not support O_DIRECT (tmpfs, some network file systems).
     */
    static DirectFileWriter open(Path path, long offset, FileChannel buffered) throws IOException {
        int block;
        FileChannel ch;
        try {
            block = Math.toIntExact(Files.getFileStore(path).getBlockSize());
            if (block <= 0 || STAGE_SIZE % block != 0) {
                return null;
            }
            ch = FileChannel.open(path, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
        } catch (UnsupportedOperationException | IOException | ArithmeticException e) {
            return null;
        }
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
            ch.close();
            throw e;
        }
        return new DirectFileWriter(path, ch, block, stage, stageStart);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        while (src.hasRemaining()) {
            int take = Math.min(src.remaining(), stage.remaining());
            ByteBuffer part = src.slice(src.position(), take);
            stage.put(part);
            src.position(src.position() + take);
            if (!stage.hasRemaining()) {
                flush(stage.position());
                stageStart += STAGE_SIZE;
                stage.clear();
                forceAhead();
            }
        }
        return n;
    }

    /** Writes the stage's first {@code length} bytes (a multiple of the block size) at {@link #stageStart}. */
    private void flush(int length) throws IOException {
        ByteBuffer out = stage.duplicate().position(0).limit(length);
        while (out.hasRemaining()) {
            channel.write(out, stageStart + out.position());
        }
    }

    private void forceAhead() {
        if (stageStart - forcedTo >= FORCE_AHEAD && (forcing == null || forcing.isDone())) {
            forcedTo = stageStart;
            forcing = FORCERS.submit(() -> {
                channel.force(false);
                return null;
            });
        }
    }

    /** Waits for the background fsync; its failure fails the commit (a later fsync may not report it again). */
    private void awaitForce() throws IOException {
        IOException failed = Futures.awaitEnd(forcing);
        if (failed != null) {
            throw failed;
        }
    }

    @Override
    public long size() {
        return stageStart + stage.position();
    }

    @Override
    public void commit() throws IOException {
        try {
            int tail = stage.position();
            if (tail > 0) {
                int padded = (tail + block - 1) / block * block;
                ByteBuffer zeros = stage.duplicate().position(tail).limit(padded);
                while (zeros.hasRemaining()) {
                    zeros.put((byte) 0);
                }
                flush(padded);
            }
            long size = size();
            if (channel.size() != size) {
                channel.truncate(size);
            }
            awaitForce();
            channel.force(false);
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
            try {
                awaitForce(); // before the channel it syncs closes
            } catch (IOException ignored) {
                // closing without a commit: nothing was promised
            }
            stageStart = size();
            channel.close();
            BUFFERS.release(stage);
            stage = EMPTY;
        }
    }
}
